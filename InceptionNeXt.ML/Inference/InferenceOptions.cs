using InceptionNeXt.ML.Imaging;
using InceptionNeXt.ML.OnnxRuntime;

namespace InceptionNeXt.ML.Inference;

/// <summary>How an ONNX image model runs: device, threads, batching and (optionally) a different preprocessing.</summary>
public sealed record InferenceOptions
{
    /// <summary>Run on the GPU with ONNX Runtime's CUDA execution provider (needs a CUDA build of the library).</summary>
    public bool UseCuda { get; init; }

    /// <summary>GPU ordinal for <see cref="UseCuda"/>.</summary>
    public int CudaDeviceId { get; init; }

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

    internal SessionOptions CreateSessionOptions()
    {
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.All };
        try
        {
            if (IntraOpThreads > 0) options.IntraOpThreads = IntraOpThreads;
            options.InterOpThreads = 1;
            options.SetAllowSpinning(AllowSpinning ?? true);
            // When decoding and inference take turns on the same cores, ONNX Runtime's threads must stop spinning as soon
            // as a run returns, or they steal the cores the next batch's decoding needs (spinning without the stop: 124 vs 181 img/s).
            if (!ResolveOverlap()) options.AddConfigEntry("session.force_spinning_stop", "1");
            if (UseCuda) options.AppendCudaProvider(CudaDeviceId);
            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }
}
