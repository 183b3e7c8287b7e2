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

    /// <summary>Image decoder (pixel limit, EXIF handling).</summary>
    public ImageDecoder Decoder { get; init; } = ImageDecoder.Default;

    internal SessionOptions CreateSessionOptions()
    {
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.All };
        try
        {
            if (IntraOpThreads > 0) options.IntraOpThreads = IntraOpThreads;
            options.InterOpThreads = 1;
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
