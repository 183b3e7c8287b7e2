using System.Globalization;
using InceptionNeXt.ML.Caching;
using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.MLNet;
using Microsoft.ML;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(typeof(InceptionNeXtFeaturizingTransformer), null, typeof(SignatureLoadModel),
    "InceptionNeXt Image Featurizer", InceptionNeXtFeaturizingTransformer.LoaderSignature)]

namespace InceptionNeXt.ML.MLNet;

/// <summary>
/// Adds InceptionNeXt's pooled backbone features of each row's image as a known-size float vector column (and,
/// optionally, the classifier's logits), for ML.NET trainers on top: transfer learning. Made by
/// <c>mlContext.Transforms.FeaturizeImagesWithInceptionNeXt</c>; saved and loaded by <c>mlContext.Model</c> with the
/// ONNX model inside.
/// </summary>
public sealed class InceptionNeXtFeaturizingTransformer : InceptionNeXtImageTransformerBase
{
    internal const string LoaderSignature = "InceptionNeXtFeaturizer";

    // With a CacheDirectory: the cache, and the width of each model output, in order, that a cached vector holds end to end.
    private readonly FeatureCache? cache;
    private readonly int[] widths = [];
    private int cacheWriteReported; // 1 once the cache's write error was logged

    private InceptionNeXtFeaturizingTransformer(IHost host, string outputColumnName, string inputColumnName, byte[] modelBytes, OnnxImageFeaturizer model,
        InceptionNeXtFeaturizerOptions options, string[] modelOutputs, ImageOutputColumn[] outputs)
        : base(host, inputColumnName, modelBytes, model, options, modelOutputs, outputs)
    {
        OutputColumnName = outputColumnName;
        LogitsColumnName = options.LogitsColumnName;
        if (options.CacheDirectory is { } directory)
        {
            widths = modelOutputs.Select(o => o == "logits" ? model.Info.Labels.Count : model.FeatureSize).ToArray();
            var preprocessing = model.Preprocessor.Options;
            var description = string.Create(CultureInfo.InvariantCulture,
                $"{preprocessing.InputSize}|{preprocessing.ResizeSize}|{preprocessing.CropPct:R}|{preprocessing.Interpolation}|{string.Join(',', preprocessing.Mean)}|{string.Join(',', preprocessing.Std)}|{preprocessing.Normalize}");
            var key = FeatureCache.ModelKey(modelBytes, description, string.Join(',', modelOutputs));
            try
            {
                cache = new FeatureCache(directory, key);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Nothing has run yet, so say so now rather than featurize without the cache that was asked for.
                throw new ArgumentException($"CacheDirectory '{directory}': cannot create the cache folder ({e.Message}). Choose a writable folder, or null for no cache.",
                    nameof(InceptionNeXtFeaturizerOptions.CacheDirectory), e);
            }
            if (cache.Warning is { } warning)
            {
                using var channel = host.Start(nameof(FeatureCache));
                channel.Warning(warning);
            }
        }
    }

    /// <summary>
    /// Why the cache stopped writing to disk (a full disk, a folder that became read-only), or null. Featurization goes
    /// on without it: what is computed from then on is answered from memory by this transformer but not kept on disk.
    /// The error is also logged once as a warning (<c>MLContext.Log</c>).
    /// </summary>
    public Exception? CacheWriteError => cache?.WriteError;

    /// <summary>Images answered from <see cref="InceptionNeXtFeaturizerOptions.CacheDirectory"/>'s cache so far (0 without a cache).</summary>
    public long CacheHits => cache?.Hits ?? 0;

    /// <summary>Cacheable images that were not in the cache and went through the model so far (0 without a cache).</summary>
    public long CacheMisses => cache?.Misses ?? 0;

    internal override IEnumerable<(ImageInput Input, float[][]? Rows, Exception? Error)> Run(IEnumerable<ImageInput> inputs) =>
        cache is null ? base.Run(inputs) : CachedImageRunner.Run(Model, ModelOutputs, widths, cache, ReportCacheWriteError, inputs);

    private void ReportCacheWriteError(Exception error)
    {
        if (Interlocked.Exchange(ref cacheWriteReported, 1) != 0) return;
        using var channel = Host.Start(nameof(FeatureCache));
        channel.Warning($"Feature cache {cache!.FilePath}: cannot write ({error.Message}); featurizing goes on, and what it computes is no longer kept on disk.");
    }

    private protected override void DisposeCore() => cache?.Dispose();

    /// <summary>The features column.</summary>
    public string OutputColumnName { get; }

    /// <summary>The logits column, or null.</summary>
    public string? LogitsColumnName { get; }

    /// <summary>Length of the features vector.</summary>
    public int FeatureSize => ((OnnxImageFeaturizer)Model).FeatureSize;

    internal static InceptionNeXtFeaturizingTransformer Create(IHostEnvironment env, string outputColumnName, string inputColumnName, string modelPath,
        InceptionNeXtFeaturizerOptions? options)
        => Create(env, outputColumnName, inputColumnName, ReadModelFile(modelPath), modelPath, options ?? new InceptionNeXtFeaturizerOptions());

    private static InceptionNeXtFeaturizingTransformer Create(IHostEnvironment env, string outputColumnName, string inputColumnName, byte[] modelBytes,
        string modelName, InceptionNeXtFeaturizerOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentException.ThrowIfNullOrEmpty(outputColumnName);
        ArgumentException.ThrowIfNullOrEmpty(inputColumnName);
        options.Validate();
        var model = new OnnxImageFeaturizer(modelBytes, modelName, ToInferenceOptions(env, options));
        try
        {
            if (model.FeatureSize <= 0)
                throw new InvalidDataException($"{modelName}: the size of the 'features' output is not fixed; export the model with `inceptionnext export`.");
            var outputs = new List<ImageOutputColumn> { new VectorOutputColumn(outputColumnName, 0, model.FeatureSize, null, softmax: false) };
            string[] modelOutputs = ["features"];
            if (options.LogitsColumnName is { } logits)
            {
                if (!model.Info.HasLogits || model.Info.Labels.Count == 0)
                    throw new InvalidDataException($"{modelName}: LogitsColumnName '{logits}' was asked for, but the model has no 'logits' output of known size (it is a feature model).");
                outputs.Add(new VectorOutputColumn(logits, 1, model.Info.Labels.Count, model.Info.Labels, softmax: false));
                modelOutputs = ["features", "logits"];
            }
            outputs.AddRange(ErrorColumn(options));
            return new InceptionNeXtFeaturizingTransformer(env.Register(nameof(InceptionNeXtFeaturizingTransformer)), outputColumnName, inputColumnName,
                modelBytes, model, options, modelOutputs, [.. outputs]);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "INXTFEAT",
        verWrittenCur: 0x00010001,
        verReadableCur: 0x00010001,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(InceptionNeXtFeaturizingTransformer).Assembly.FullName);

    private protected override VersionInfo VersionInfo => GetVersionInfo();

    private protected override void SaveOutputs(ModelSaveContext ctx)
    {
        ctx.SaveNonEmptyString(OutputColumnName);
        ctx.SaveStringOrNull(LogitsColumnName);
    }

    // Factory for SignatureLoadModel: what mlContext.Model.Load calls, found through the LoadableClass attribute above.
    private static InceptionNeXtFeaturizingTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel(GetVersionInfo());
        var options = new InceptionNeXtFeaturizerOptions();
        var (input, bytes) = LoadCommon(ctx, options);
        var output = ctx.LoadNonEmptyString();
        options.LogitsColumnName = ctx.LoadStringOrNull();
        return Create(env, output, input, bytes, $"{LoaderSignature} model from a saved ML.NET model", options);
    }
}
