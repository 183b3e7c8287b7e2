namespace InceptionNeXt.ML.Benchmarks;

/// <summary>A measured throughput.</summary>
/// <param name="Images">Images processed in the timed steps.</param>
/// <param name="Seconds">Wall time of the timed steps.</param>
public sealed record BenchmarkResult(long Images, double Seconds)
{
    /// <summary>Images per second.</summary>
    public double ImagesPerSecond => Images / Seconds;

    /// <summary>
    /// Images per second at the median step time, when each step was timed (null otherwise). Unlike the mean it ignores
    /// the steps a noisy machine stalls, so two engines measured one after the other compare on their typical step.
    /// </summary>
    public double? MedianImagesPerSecond { get; init; }
}
