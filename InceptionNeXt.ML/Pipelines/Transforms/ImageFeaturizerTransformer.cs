using InceptionNeXt.ML.Caching;
using InceptionNeXt.ML.Imaging;
using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.Pipelines.Data;
using InceptionNeXt.ML.Pipelines.Persistence;

namespace InceptionNeXt.ML.Pipelines.Transforms;

/// <summary>Settings of the InceptionNeXt featurizer stage.</summary>
public sealed record ImageFeaturizerOptions
{
    /// <summary>Device, threads and batch size of ONNX Runtime (CPU by default; <c>GpuDeviceId</c> for the GPU).</summary>
    public InferenceOptions? Inference { get; init; }

    /// <summary>
    /// Folder of the bottleneck cache: features are stored keyed by model, preprocessing and file identity (path,
    /// size, modification time), so fitting a head again does not run the backbone again. Null: no cache.
    /// </summary>
    public string? CacheDirectory { get; init; }

    /// <summary>Throw on an unreadable image (default) or drop its row.</summary>
    public UnreadableImagePolicy UnreadableImages { get; init; } = UnreadableImagePolicy.Throw;

    /// <summary>Called for each dropped image under <see cref="UnreadableImagePolicy.Skip"/>.</summary>
    public Action<SkippedImage>? OnSkipped { get; init; }

    /// <summary>Called after each batch with (images done, images total), for progress display.</summary>
    public Action<int, int>? OnProgress { get; init; }
}

/// <summary>
/// InceptionNeXt's pooled backbone features over ONNX Runtime (ML.NET's ApplyOnnxModel for this model family):
/// reads an image column (decoded and preprocessed the way the model's metadata says, in parallel with inference)
/// or a pixel vector column from <see cref="PreprocessImagesTransformer"/>, and writes a feature vector column.
/// The ONNX model is stored inside the saved pipeline. Thread-safe; dispose to release the session.
/// </summary>
public sealed class ImageFeaturizerTransformer : ITransformer, ISavableTransformer, IDisposable
{
    internal const string Name = "ImageFeaturizer";
    private readonly byte[] model;
    private readonly OnnxImageFeaturizer featurizer;
    private readonly FeatureCache? cache;

    internal ImageFeaturizerTransformer(byte[] model, string modelName, string outputColumnName, string inputColumnName, ImageFeaturizerOptions? options)
    {
        this.model = model;
        ModelName = modelName;
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
        Options = options ?? new ImageFeaturizerOptions();
        featurizer = new OnnxImageFeaturizer(model, modelName, Options.Inference);
        if (Options.CacheDirectory is { } dir)
            cache = new FeatureCache(dir, ModelKey(model, featurizer.Preprocessor.Options));
    }

    /// <summary>The feature column written.</summary>
    public string OutputColumnName { get; }

    /// <summary>The image or pixel column read.</summary>
    public string InputColumnName { get; }

    /// <summary>The model's file name or given name.</summary>
    public string ModelName { get; }

    /// <summary>Stage settings.</summary>
    public ImageFeaturizerOptions Options { get; }

    /// <summary>Length of each feature vector.</summary>
    public int FeatureSize => featurizer.FeatureSize;

    /// <summary>The model's interface, labels and preprocessing.</summary>
    public OnnxModelInfo ModelInfo => featurizer.Info;

    /// <summary>The ONNX model bytes (what <c>Save</c> stores).</summary>
    public ReadOnlyMemory<byte> ModelBytes => model;

    /// <summary>Images served from the bottleneck cache so far.</summary>
    public long CacheHits => cache?.Hits ?? 0;

    /// <summary>Images featurized by the backbone so far (not counting cache hits or unreadable files).</summary>
    public long BackboneImages => Interlocked.Read(ref backboneImages);

    private long backboneImages;

    string ISavableTransformer.StageName => Name;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        var column = inputSchema.Require("FeaturizeImages", "input", InputColumnName,
            "Use Transforms.LoadImages(...) to make an image column, or PreprocessImages(...) for pixels.", ColumnKind.Image, ColumnKind.Vector);
        if (column.Type.Kind == ColumnKind.Vector)
        {
            var expected = featurizer.Preprocessor.TensorLength;
            if (column.Type.VectorSize != expected)
                throw new SchemaMismatchException(InputColumnName,
                    $"FeaturizeImages: column '{InputColumnName}' has {column.Type.VectorSize} values per row but {ModelName} takes 3x{featurizer.Info.InputSize}x{featurizer.Info.InputSize} = {expected}. " +
                    $"Use PreprocessImages with InputSize = {featurizer.Info.InputSize}, or pass the image column directly (the model's own preprocessing is then used).");
        }
        return inputSchema.With(new SchemaColumn(OutputColumnName, ColumnType.Vector(FeatureSize)));
    }

    /// <inheritdoc />
    public DataView Transform(DataView input)
    {
        var column = GetOutputSchema(input.Schema).Find(InputColumnName)!;
        var features = new float[input.RowCount][];
        var errors = new string?[input.RowCount];
        if (input.Schema.Find(InputColumnName)!.Type.Kind == ColumnKind.Image) FeaturizeImages(input.GetColumn<ImageInput>(InputColumnName), features, errors);
        else FeaturizePixels(input.GetColumn<float[]>(InputColumnName), features, errors);
        cache?.Flush();

        var failed = Enumerable.Range(0, errors.Length).Where(i => errors[i] is not null).ToArray();
        if (failed.Length == 0) return input.WithColumn(new DataColumn<float[]>(OutputColumnName, ColumnType.Vector(FeatureSize), features));
        var names = input.Schema.Find(InputColumnName)!.Type.Kind == ColumnKind.Image ? input.GetColumn<ImageInput>(InputColumnName) : null;
        string Source(int row) => names is not null ? names[row].Name : $"row {row}";
        if (Options.UnreadableImages == UnreadableImagePolicy.Throw)
            throw new InvalidImageException(Source(failed[0]), failed.Length == 1
                ? errors[failed[0]]!
                : $"{failed.Length} images could not be read: " + string.Join("; ", failed.Take(5).Select(r => errors[r])) + (failed.Length > 5 ? "; ..." : "") +
                  " (use UnreadableImagePolicy.Skip to drop them)");
        foreach (var r in failed) Options.OnSkipped?.Invoke(new SkippedImage(Source(r), errors[r]!));
        var kept = Enumerable.Range(0, errors.Length).Where(i => errors[i] is null).ToArray();
        return input.SelectRows(kept).WithColumn(new DataColumn<float[]>(OutputColumnName, ColumnType.Vector(FeatureSize), kept.Select(r => features[r]).ToArray()));
    }

    private void FeaturizeImages(DataColumn<ImageInput> images, float[][] features, string?[] errors)
    {
        var keys = new string?[images.Count];
        var misses = new List<int>();
        for (var i = 0; i < images.Count; i++)
        {
            var image = images[i];
            keys[i] = cache is null ? null : CacheKey(image);
            if (keys[i] is { } k && cache!.TryGet(k, out var cached)) features[i] = cached;
            else misses.Add(i);
        }
        var done = images.Count - misses.Count;
        var n = 0;
        foreach (var result in featurizer.FeaturizeMany(misses.Select(i => images[i])))
        {
            var row = misses[n++];
            if (result.Features is { } f)
            {
                features[row] = f;
                Interlocked.Increment(ref backboneImages);
                if (keys[row] is { } k) cache!.Put(k, f);
            }
            else errors[row] = result.Error!.Message;
            if (n % featurizer.Options.BatchSize == 0 || n == misses.Count) Options.OnProgress?.Invoke(done + n, images.Count);
        }
    }

    private void FeaturizePixels(DataColumn<float[]> pixels, float[][] features, string?[] errors)
    {
        var batch = featurizer.Options.BatchSize;
        var length = featurizer.Preprocessor.TensorLength;
        for (var start = 0; start < pixels.Count; start += batch)
        {
            var count = Math.Min(batch, pixels.Count - start);
            var buffer = new float[count * length];
            var ok = new bool[count];
            Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = featurizer.Options.PreprocessThreads }, i =>
            {
                try
                {
                    pixels[start + i].CopyTo(buffer, i * length);
                    ok[i] = true;
                }
                catch (Exception e) when (e is InvalidImageException or IOException or UnauthorizedAccessException)
                {
                    errors[start + i] = e.Message;
                }
            });
            var good = Enumerable.Range(0, count).Where(i => ok[i]).ToArray();
            for (var j = 0; j < good.Length; j++)
                if (good[j] != j) Array.Copy(buffer, good[j] * length, buffer, j * length, length);
            if (good.Length > 0)
            {
                var rows = featurizer.Featurize(buffer.AsMemory(0, good.Length * length), good.Length);
                for (var j = 0; j < good.Length; j++) features[start + good[j]] = rows[j];
            }
            Interlocked.Add(ref backboneImages, good.Length);
            Options.OnProgress?.Invoke(start + count, pixels.Count);
        }
    }

    private static string? CacheKey(ImageInput image) =>
        image.FilePath is { } path ? (File.Exists(path) ? FeatureCache.FileKey(path) : null)
        : image.EncodedBytes.Length > 0 ? FeatureCache.ContentKey(image.EncodedBytes.Span) : null;

    /// <summary>The model bytes and the preprocessing in use decide the cache folder.</summary>
    private static string ModelKey(byte[] model, PreprocessOptions p) =>
        FeatureCache.ModelKey(model, string.Join("|", p.InputSize, p.CropPct, p.Interpolation, string.Join(",", p.Mean), string.Join(",", p.Std), p.Normalize), "features");

    void ISavableTransformer.Save(ModelSaveContext context)
    {
        context.WriteBytes("model.onnx", model);
        context.WriteJson("settings.json", new Settings(OutputColumnName, InputColumnName, ModelName));
    }

    internal static ITransformer Load(ModelLoadContext context)
    {
        var s = context.ReadJson<Settings>("settings.json");
        return new ImageFeaturizerTransformer(context.ReadBytes("model.onnx"), s.ModelName, s.Output, s.Input,
            new ImageFeaturizerOptions { Inference = context.InferenceOptions });
    }

    /// <summary>Releases the ONNX Runtime session and flushes the cache.</summary>
    public void Dispose()
    {
        cache?.Dispose();
        featurizer.Dispose();
    }

    private sealed record Settings(string Output, string Input, string ModelName);
}
