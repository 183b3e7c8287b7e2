using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(typeof(InceptionNeXtScoringTransformer), null, typeof(SignatureLoadModel),
    "InceptionNeXt Image Scorer", InceptionNeXtScoringTransformer.LoaderSignature)]

namespace InceptionNeXt.ML.MLNet;

/// <summary>
/// Classifies each row's image with a whole exported InceptionNeXt classifier and adds the columns ML.NET's multiclass
/// trainers add: <c>Score</c>, the softmax probabilities with the class labels as slot names, and <c>PredictedLabel</c>,
/// a key whose key values are the labels. With a <c>Label</c> key column holding the same labels,
/// <c>mlContext.MulticlassClassification.Evaluate</c> takes the output as it is. Made by
/// <c>mlContext.Transforms.ScoreImagesWithInceptionNeXt</c>; saved and loaded by <c>mlContext.Model</c>.
/// </summary>
public sealed class InceptionNeXtScoringTransformer : InceptionNeXtImageTransformerBase
{
    internal const string LoaderSignature = "InceptionNeXtScorer";

    private InceptionNeXtScoringTransformer(IHost host, string inputColumnName, byte[] modelBytes, OnnxImageClassifier model,
        InceptionNeXtScorerOptions options, string[] modelOutputs, ImageOutputColumn[] outputs)
        : base(host, inputColumnName, modelBytes, model, options, modelOutputs, outputs)
    {
        ScoreColumnName = options.ScoreColumnName;
        PredictedLabelColumnName = options.PredictedLabelColumnName;
    }

    /// <summary>The probabilities column.</summary>
    public string ScoreColumnName { get; }

    /// <summary>The predicted class column (a key).</summary>
    public string PredictedLabelColumnName { get; }

    /// <summary>The class labels from the model's metadata, in key order (key 1 is the first).</summary>
    public IReadOnlyList<string> Labels => ((OnnxImageClassifier)Model).Labels;

    internal static InceptionNeXtScoringTransformer Create(IHostEnvironment env, string inputColumnName, string modelPath, InceptionNeXtScorerOptions? options)
        => Create(env, inputColumnName, ReadModelFile(modelPath), modelPath, options ?? new InceptionNeXtScorerOptions());

    /// <summary>A scorer over an ONNX classifier held in memory (what InceptionNeXt.Training's ML.NET trainer returns).</summary>
    internal static InceptionNeXtScoringTransformer Create(IHostEnvironment env, string inputColumnName, byte[] modelBytes, string modelName, InceptionNeXtScorerOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentException.ThrowIfNullOrEmpty(inputColumnName);
        options.Validate();
        var model = new OnnxImageClassifier(modelBytes, modelName, ToInferenceOptions(env, options));
        try
        {
            var labels = model.Labels;
            if (labels.Count == 0)
                throw new InvalidDataException($"{modelName}: the number of classes is not fixed and the metadata has no labels; export the model with `inceptionnext export`.");
            var outputs = new List<ImageOutputColumn>
            {
                new VectorOutputColumn(options.ScoreColumnName, 0, labels.Count, labels, softmax: true, MarkAsMulticlassScore),
                new PredictedLabelColumn(options.PredictedLabelColumnName, 0, labels),
            };
            outputs.AddRange(ErrorColumn(options));
            return new InceptionNeXtScoringTransformer(env.Register(nameof(InceptionNeXtScoringTransformer)), inputColumnName, modelBytes, model, options,
                [model.LogitsName], [.. outputs]);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The shapes of the columns a scorer with <paramref name="options"/> adds, before its model (and so its class count) is
    /// known, for an estimator's <c>GetOutputSchema</c>: a shape carries no vector length or key count, only kinds and annotations.
    /// </summary>
    internal static IEnumerable<SchemaShape.Column> OutputShapes(InceptionNeXtScorerOptions options)
    {
        string[] placeholder = ["class"];
        yield return new VectorOutputColumn(options.ScoreColumnName, 0, placeholder.Length, placeholder, softmax: true, MarkAsMulticlassScore).Shape;
        yield return new PredictedLabelColumn(options.PredictedLabelColumnName, 0, placeholder).Shape;
        foreach (var error in ErrorColumn(options)) yield return error.Shape;
    }

    // The annotations ML.NET's multiclass scorers put on their score column, which its evaluators and tools look for.
    private static void MarkAsMulticlassScore(DataViewSchema.Annotations.Builder builder)
    {
        builder.Add(AnnotationUtils.Kinds.ScoreColumnKind, TextDataViewType.Instance,
            (ref ReadOnlyMemory<char> value) => value = AnnotationUtils.Const.ScoreColumnKind.MulticlassClassification.AsMemory());
        builder.Add(AnnotationUtils.Kinds.ScoreValueKind, TextDataViewType.Instance,
            (ref ReadOnlyMemory<char> value) => value = AnnotationUtils.Const.ScoreValueKind.Score.AsMemory());
    }

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "INXTSCOR",
        verWrittenCur: 0x00010001,
        verReadableCur: 0x00010001,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(InceptionNeXtScoringTransformer).Assembly.FullName);

    private protected override VersionInfo VersionInfo => GetVersionInfo();

    private protected override void SaveOutputs(ModelSaveContext ctx)
    {
        ctx.SaveNonEmptyString(ScoreColumnName);
        ctx.SaveNonEmptyString(PredictedLabelColumnName);
    }

    // Factory for SignatureLoadModel: what mlContext.Model.Load calls, found through the LoadableClass attribute above.
    private static InceptionNeXtScoringTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel(GetVersionInfo());
        var options = new InceptionNeXtScorerOptions();
        var (input, bytes) = LoadCommon(ctx, options);
        options.ScoreColumnName = ctx.LoadNonEmptyString();
        options.PredictedLabelColumnName = ctx.LoadNonEmptyString();
        return Create(env, input, bytes, $"{LoaderSignature} model from a saved ML.NET model", options);
    }
}
