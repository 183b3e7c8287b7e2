namespace InceptionNeXt.ML.Benchmarks;

/// <summary>A measured throughput.</summary>
/// <param name="Images">Images processed in the timed steps.</param>
/// <param name="Seconds">Wall time of the timed steps.</param>
public sealed record BenchmarkResult(long Images, double Seconds)
{
    /// <summary>Images per second.</summary>
    public double ImagesPerSecond => Images / Seconds;
}
