namespace InceptionNeXt.ML.MLNet;

/// <summary>
/// Settings shared by the InceptionNeXt featurizer and scorer: where the model runs, how rows are batched, and what
/// happens to unreadable images. The defaults suit a CPU; every property may be left alone.
/// </summary>
public abstract class InceptionNeXtImageOptions
{
    /// <summary>
    /// Rows sent to ONNX Runtime together when a data view is transformed (default 16). Larger batches use the cores
    /// better and need more memory (3 x side x side floats per image). A prediction engine always runs one row.
    /// </summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>
    /// The GPU to run on with ONNX Runtime's CUDA execution provider, as ML.NET's <c>gpuDeviceId</c>. Null (default): the
    /// MLContext's <c>GpuDeviceId</c>, which is null (the CPU) unless set. A loaded model takes the loading MLContext's.
    /// </summary>
    public int? GpuDeviceId { get; set; }

    /// <summary>
    /// When the GPU cannot be used: true runs on the CPU, false (default) throws, as ML.NET's <c>fallbackToCpu</c>.
    /// The MLContext's <c>FallbackToCpu</c> also allows it. A loaded model takes the loading MLContext's.
    /// </summary>
    public bool FallbackToCpu { get; set; }

    /// <summary>ONNX Runtime threads per inference (default 0: one per core).</summary>
    public int IntraOpThreads { get; set; }

    /// <summary>Threads decoding and resizing a batch's images (default: one per core).</summary>
    public int PreprocessThreads { get; set; } = Environment.ProcessorCount;

    /// <summary>What a row whose image cannot be read gets (default <see cref="UnreadableImagePolicy.Throw"/>).</summary>
    public UnreadableImagePolicy OnUnreadableImage { get; set; } = UnreadableImagePolicy.Throw;

    /// <summary>
    /// With <see cref="UnreadableImagePolicy.Skip"/>: a text column to add that holds why a row's image could not be read,
    /// empty for the rows that were read. Null (default): no such column.
    /// </summary>
    public string? ErrorColumnName { get; set; }

    /// <summary>
    /// For a path input column: the folder that relative paths are under, as the <c>imageFolder</c> of ML.NET's
    /// <c>LoadImages</c>. Null (default): paths are used as they are.
    /// </summary>
    public string? ImageFolder { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> for a setting out of range.</summary>
    internal virtual void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegative(IntraOpThreads, nameof(IntraOpThreads));
        ArgumentOutOfRangeException.ThrowIfLessThan(PreprocessThreads, 1, nameof(PreprocessThreads));
        if (GpuDeviceId is < 0) throw new ArgumentOutOfRangeException(nameof(GpuDeviceId), GpuDeviceId, "GpuDeviceId must be 0 or more (or null for the CPU).");
        if (!Enum.IsDefined(OnUnreadableImage)) throw new ArgumentOutOfRangeException(nameof(OnUnreadableImage), OnUnreadableImage, "Unknown policy.");
        if (ErrorColumnName is not null && OnUnreadableImage != UnreadableImagePolicy.Skip)
            throw new ArgumentOutOfRangeException(nameof(ErrorColumnName), ErrorColumnName,
                "An error column is only filled with OnUnreadableImage = UnreadableImagePolicy.Skip; set both or neither.");
        if (ErrorColumnName is { Length: 0 }) throw new ArgumentOutOfRangeException(nameof(ErrorColumnName), "ErrorColumnName must not be empty (null for none).");
    }
}
