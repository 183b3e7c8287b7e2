using System.Buffers;
using InceptionNeXt.ML.Imaging;
using Microsoft.ML.OnnxRuntime;

namespace InceptionNeXt.ML.Inference;

/// <summary>
/// Shared engine of <see cref="OnnxImageClassifier"/> and <see cref="OnnxImageFeaturizer"/>: an ONNX Runtime session
/// (CPU by default, CUDA on request: <see cref="InferenceOptions.GpuDeviceId"/>), the model's preprocessing, and batched runs in which the next batch is decoded
/// and preprocessed while the current one is inferred. Safe to call from many threads at once.
/// </summary>
public abstract class OnnxImageModel : IDisposable
{
    private readonly InferenceSession session;
    private readonly RunOptions runOptions;
    private readonly string[] inputNames;
    private long runs;

    /// <summary>Loads a model file.</summary>
    protected OnnxImageModel(string modelPath, InferenceOptions? options) : this(modelPath, null, options) { }

    /// <summary>Loads a model from its bytes; <paramref name="name"/> is how errors refer to it.</summary>
    protected OnnxImageModel(byte[] model, string name, InferenceOptions? options) : this(name, model, options) { }

    private OnnxImageModel(string modelPath, byte[]? modelBytes, InferenceOptions? options)
    {
        Options = options ?? new InferenceOptions();
        if (Options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), "BatchSize must be at least 1.");
        if (Options.PreprocessThreads < 1) throw new ArgumentOutOfRangeException(nameof(options), "PreprocessThreads must be at least 1.");
        // The factory prepares ONNX Runtime's environment (telemetry off) before anything else touches the native library.
        (session, ExecutionProvider) = OnnxSessionFactory.Create(modelPath, modelBytes, Options);
        runOptions = new RunOptions();
        try
        {
            Info = OnnxModelInfo.FromSession(session, modelPath);
            inputNames = [Info.InputName];
            Preprocessor = new ImagePreprocessor(Options.Preprocessing ?? Info.Preprocessing, Options.Decoder);
            if (Preprocessor.Options.InputSize != Info.InputSize)
                throw new ArgumentException($"{modelPath}: preprocessing produces {Preprocessor.Options.InputSize} px but the model takes {Info.InputSize} px.");
        }
        catch
        {
            session.Dispose();
            runOptions.Dispose();
            throw;
        }
    }

    /// <summary>Where the model runs: "CPU", or "CUDA" when <see cref="InferenceOptions.GpuDeviceId"/> was honoured.</summary>
    public string ExecutionProvider { get; }

    /// <summary>The model's interface and metadata.</summary>
    public OnnxModelInfo Info { get; }

    /// <summary>How the model runs.</summary>
    public InferenceOptions Options { get; }

    /// <summary>The image-to-tensor transform in use.</summary>
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>The ONNX Runtime session (for advanced use; owned by this object, do not dispose).</summary>
    public InferenceSession Session => session;

    private int ImageLength => Preprocessor.TensorLength;

    /// <summary>How many times the model has been run (one run per batch), for tests that check batching.</summary>
    internal long RunCount => Interlocked.Read(ref runs);

    /// <summary>
    /// Runs already-preprocessed pixels (<paramref name="count"/> images, CHW each) and returns output
    /// <paramref name="output"/> as one row per image.
    /// </summary>
    public float[][] RunPixels(ReadOnlyMemory<float> pixels, int count, string output)
    {
        if (pixels.Length != count * ImageLength)
            throw new ArgumentException($"{count} images of 3x{Info.InputSize}x{Info.InputSize} need {count * ImageLength} floats, got {pixels.Length}.", nameof(pixels));
        var rows = new float[count][][];
        var memory = System.Runtime.InteropServices.MemoryMarshal.AsMemory(pixels);
        for (var start = 0; start < count; start += Options.BatchSize)
        {
            var n = Math.Min(Options.BatchSize, count - start);
            RunBatch(memory.Slice(start * ImageLength, n * ImageLength), n, [output], rows, start);
        }
        return rows.Select(r => r[0]).ToArray();
    }

    /// <summary>Decodes, preprocesses and runs each input; failures are returned per image, never thrown.</summary>
    protected IEnumerable<(ImageInput Input, float[]? Row, Exception? Error)> RunImages(IEnumerable<ImageInput> inputs, string output)
    {
        foreach (var (input, rows, error) in RunImages(inputs, [output]))
            yield return (input, rows?[0], error);
    }

    /// <summary>
    /// As <see cref="RunImages(IEnumerable{ImageInput}, string)"/>, with several outputs from the same run: each
    /// image's rows come in the order of <paramref name="outputs"/>.
    /// </summary>
    internal IEnumerable<(ImageInput Input, float[][]? Rows, Exception? Error)> RunImages(IEnumerable<ImageInput> inputs, string[] outputs)
    {
        Task<Batch>? running = null;
        foreach (var chunk in inputs.Chunk(Options.BatchSize))
        {
            var prepared = Prepare(chunk);
            if (running is not null)
                foreach (var item in running.GetAwaiter().GetResult().Results()) yield return item;
            // Overlap only with cores to spare: on a saturated machine the two compete and ONNX Runtime's
            // per-operator barriers wait for preempted threads (measured 110 vs 145 img/s on 2 cores).
            running = Options.ResolveOverlap() ? Task.Run(() => Infer(prepared, outputs)) : Task.FromResult(Infer(prepared, outputs));
        }
        if (running is not null)
            foreach (var item in running.GetAwaiter().GetResult().Results()) yield return item;
    }

    /// <summary>
    /// Decodes and preprocesses <paramref name="inputs"/> exactly as <see cref="RunImages(IEnumerable{ImageInput}, string[])"/> does, batch by batch, without
    /// running the model (to time the input side alone); unreadable inputs are skipped.
    /// </summary>
    internal void PreprocessOnly(IEnumerable<ImageInput> inputs)
    {
        foreach (var chunk in inputs.Chunk(Options.BatchSize)) ArrayPool<float>.Shared.Return(Prepare(chunk).Buffer);
    }

    private Batch Prepare(ImageInput[] chunk)
    {
        var buffer = ArrayPool<float>.Shared.Rent(chunk.Length * ImageLength);
        var errors = new Exception?[chunk.Length];
        Parallel.For(0, chunk.Length, new ParallelOptions { MaxDegreeOfParallelism = Options.PreprocessThreads }, i =>
        {
            try
            {
                chunk[i].PreprocessInto(Preprocessor, buffer.AsSpan(i * ImageLength, ImageLength));
            }
            catch (Exception e) when (e is InvalidImageException or IOException or UnauthorizedAccessException or ArgumentException)
            {
                errors[i] = e;
            }
        });
        return new Batch(chunk, buffer, errors);
    }

    private Batch Infer(Batch batch, string[] outputs)
    {
        try
        {
            // Only the images that decoded go to the model, packed at the front of the buffer.
            var good = 0;
            for (var i = 0; i < batch.Inputs.Length; i++)
            {
                if (batch.Errors[i] is not null) continue;
                if (good != i) batch.Buffer.AsSpan(i * ImageLength, ImageLength).CopyTo(batch.Buffer.AsSpan(good * ImageLength, ImageLength));
                good++;
            }
            batch.Rows = new float[good][][];
            if (good > 0) RunBatch(batch.Buffer.AsMemory(0, good * ImageLength), good, outputs, batch.Rows, 0);
            return batch;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(batch.Buffer);
        }
    }

    private void RunBatch(Memory<float> pixels, int count, string[] outputs, float[][][] rows, int offset)
    {
        // The input tensor is our pooled buffer itself, pinned for the call: no copy on the way in.
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, pixels, [count, 3, Info.InputSize, Info.InputSize]);
        Interlocked.Increment(ref runs);
        for (var i = 0; i < count; i++) rows[offset + i] = new float[outputs.Length][];
        var widths = outputs.Select(RowWidth).ToArray();
        if (widths.All(w => w > 0))
        {
            // Known [batch, width] outputs are written straight into pooled buffers, so ONNX Runtime allocates nothing per call.
            var buffers = widths.Select(w => ArrayPool<float>.Shared.Rent(count * w)).ToArray();
            var bound = new OrtValue[outputs.Length];
            try
            {
                for (var o = 0; o < outputs.Length; o++)
                    bound[o] = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffers[o].AsMemory(0, count * widths[o]), [count, widths[o]]);
                session.Run(runOptions, inputNames, [input], outputs, bound);
                for (var o = 0; o < outputs.Length; o++)
                    for (var i = 0; i < count; i++) rows[offset + i][o] = buffers[o].AsSpan(i * widths[o], widths[o]).ToArray();
            }
            finally
            {
                foreach (var value in bound) value?.Dispose();
                foreach (var buffer in buffers) ArrayPool<float>.Shared.Return(buffer);
            }
            return;
        }

        using var results = session.Run(runOptions, inputNames, [input], outputs);
        for (var o = 0; o < outputs.Length; o++)
        {
            var values = results[o].GetTensorDataAsSpan<float>();
            var n = values.Length / count;
            for (var i = 0; i < count; i++) rows[offset + i][o] = values.Slice(i * n, n).ToArray();
        }
    }

    /// <summary>The per-image length of <paramref name="output"/> when the model fixes it as [batch, width] float32; 0 otherwise.</summary>
    private int RowWidth(string output) =>
        session.OutputMetadata.TryGetValue(output, out var meta) && meta.IsTensor && meta.ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float
        && meta.Dimensions.Length == 2 && meta.Dimensions[1] > 0 ? meta.Dimensions[1] : 0;

    /// <summary>Releases the session.</summary>
    public void Dispose()
    {
        session.Dispose();
        runOptions.Dispose();
        GC.SuppressFinalize(this);
    }

    private sealed class Batch(ImageInput[] inputs, float[] buffer, Exception?[] errors)
    {
        public ImageInput[] Inputs { get; } = inputs;
        public float[] Buffer { get; } = buffer;
        public Exception?[] Errors { get; } = errors;
        public float[][][] Rows { get; set; } = [];

        public IEnumerable<(ImageInput, float[][]?, Exception?)> Results()
        {
            var next = 0;
            for (var i = 0; i < Inputs.Length; i++)
                yield return Errors[i] is { } e ? (Inputs[i], null, e) : (Inputs[i], Rows[next++], null);
        }
    }
}
