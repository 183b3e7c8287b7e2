using System.Globalization;

namespace InceptionNeXt.Cli.Commands;

/// <summary>
/// Upper bounds for arguments that size threads or memory, checked against this machine before anything is allocated:
/// without them `--image-size 10000` or `--threads 100000` end in the kernel's OOM killer instead of a message (issue 14).
/// </summary>
internal static class ArgumentBounds
{
    /// <summary>The largest batch any command accepts.</summary>
    public const int MaxBatchSize = 1024;

    /// <summary>The largest square input side any command accepts.</summary>
    public const int MaxImageSize = 2048;

    /// <summary>
    /// Estimated bytes per input pixel of a forward pass (inference) or a training step of the zoo's models at stem stride
    /// 4, from peak RSS measured at 224 px, rounded up: inference about 600, training about 2,400.
    /// </summary>
    private const long InferenceBytesPerPixel = 600, TrainingBytesPerPixel = 2400;

    /// <summary>Intra-op threads: 0 (one per core) up to 4 per core.</summary>
    public static void Threads(string option, int value, bool zeroMeansDefault = true)
    {
        var limit = 4 * Environment.ProcessorCount;
        var low = zeroMeansDefault ? 0 : 1;
        if (value < low || value > limit)
            throw new ArgumentException($"{option} {value} is out of range: use {(zeroMeansDefault ? "0 (one per core)" : "1")} to {limit} (4 per core on this machine).");
    }

    /// <summary>A batch size from 1 to <see cref="MaxBatchSize"/>.</summary>
    public static void BatchSize(string option, int value)
    {
        if (value < 1 || value > MaxBatchSize) throw new ArgumentException($"{option} {value} is out of range: use 1 to {MaxBatchSize}.");
    }

    /// <summary>
    /// An image side from 16 to <see cref="MaxImageSize"/>, and a batch of such images that fits in this machine's memory
    /// by the estimate above.
    /// </summary>
    public static void ImageMemory(string sizeOption, int size, int batch, bool training)
    {
        if (size < 16 || size > MaxImageSize) throw new ArgumentException($"{sizeOption} {size} is out of range: use 16 to {MaxImageSize}.");
        var need = (long)batch * size * size * (training ? TrainingBytesPerPixel : InferenceBytesPerPixel);
        var have = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (need > have)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"{sizeOption} {size} with a batch of {batch} needs about {need / 1e9:F1} GB (estimated) but this machine has {have / 1e9:F1} GB; use a smaller size or batch."));
    }

    /// <summary>A count from <paramref name="low"/> to <paramref name="high"/>.</summary>
    public static void Range(string option, int value, int low, int high)
    {
        if (value < low || value > high) throw new ArgumentException($"{option} {value} is out of range: use {low} to {high}.");
    }
}
