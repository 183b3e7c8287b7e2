using InceptionNeXt.ML.Imaging;
using Microsoft.ML.OnnxRuntime;

namespace InceptionNeXt.ML.Inference;

/// <summary>How an ONNX image model runs: device, threads, batching and (optionally) a different preprocessing.</summary>
public sealed record InferenceOptions
{
    /// <summary>
    /// The GPU to run on with ONNX Runtime's CUDA execution provider, as ML.NET's <c>gpuDeviceId</c>; null (default): the CPU.
    /// CUDA needs the package Microsoft.ML.OnnxRuntime.Gpu.Linux or .Windows 1.31.0 in place of Microsoft.ML.OnnxRuntime, and
    /// CUDA 13 with cuDNN 9 on the machine (see README.md).
    /// </summary>
    public int? GpuDeviceId
    {
        get;
        init
        {
            if (value < 0) throw new ArgumentOutOfRangeException(nameof(GpuDeviceId), value, "GpuDeviceId must be 0 or more (or null for the CPU).");
            field = value;
        }
    }

    /// <summary>
    /// When <see cref="GpuDeviceId"/> is set but CUDA cannot be used (CPU-only package, no driver, no such device): true runs on
    /// the CPU instead, false (default, as ML.NET's <c>fallbackToCpu</c>) throws an <see cref="InvalidOperationException"/>
    /// that says what is missing.
    /// </summary>
    public bool FallbackToCpu { get; init; }

    /// <summary>ONNX Runtime intra-op threads (0 = ONNX Runtime's default: one per core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Images per inference call when classifying many.</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Threads decoding and preprocessing images while the previous batch runs.</summary>
    public int PreprocessThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>Overrides the preprocessing read from the model's metadata.</summary>
    public PreprocessOptions? Preprocessing { get; init; }

    /// <summary>
    /// Let idle ONNX Runtime threads spin between operators, which shortens the waits between a run's operators.
    /// Null (default): spin. When decoding and inference take turns on the same cores (see
    /// <see cref="OverlapPreprocessing"/>), the threads stop spinning as soon as each run returns, so decoding gets the cores.
    /// </summary>
    public bool? AllowSpinning { get; init; }

    /// <summary>
    /// Decode and preprocess the next batch while the current one runs. Null (default): only when
    /// <see cref="IntraOpThreads"/> plus <see cref="PreprocessThreads"/> fit in the machine's cores; otherwise the
    /// two take turns using all cores, which is faster than competing for them.
    /// </summary>
    public bool? OverlapPreprocessing { get; init; }

    private bool HasSpareCores => (IntraOpThreads > 0 ? IntraOpThreads : Environment.ProcessorCount) + PreprocessThreads <= Environment.ProcessorCount;

    internal bool ResolveOverlap() => OverlapPreprocessing ?? HasSpareCores;

    /// <summary>Image decoder (pixel limit, EXIF handling).</summary>
    public ImageDecoder Decoder { get; init; } = ImageDecoder.Default;

    /// <summary>ONNX Runtime session options for this configuration, with CUDA on <paramref name="gpuDeviceId"/> when given.</summary>
    internal SessionOptions CreateSessionOptions(int? gpuDeviceId)
    {
        var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            InterOpNumThreads = 1,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
        };
        try
        {
            if (IntraOpThreads > 0) options.IntraOpNumThreads = IntraOpThreads;
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", AllowSpinning ?? true ? "1" : "0");
            // When decoding and inference take turns on the same cores, ONNX Runtime's threads must stop spinning as soon
            // as a run returns, or they steal the cores the next batch's decoding needs (spinning without the stop: 124 vs 181 img/s).
            if (!ResolveOverlap()) options.AddSessionConfigEntry("session.force_spinning_stop", "1");
            if (gpuDeviceId is { } device) options.AppendExecutionProvider_CUDA(device);
            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }
}
