using InceptionNeXt.ML.Pipelines.Data;
using InceptionNeXt.ML.Pipelines.Persistence;
using InceptionNeXt.ML.Trainers;

namespace InceptionNeXt.ML.Pipelines.Trainers;

/// <summary>A trained head in a pipeline: adds <c>Score</c> (softmax probabilities) and <c>PredictedLabel</c> (key). Thread-safe.</summary>
public sealed class MulticlassPredictionTransformer : ITransformer, ISavableTransformer
{
    internal const string Name = "MulticlassHead";

    /// <summary>Name of the probability vector column.</summary>
    public const string ScoreColumnName = "Score";

    /// <summary>Name of the predicted key column.</summary>
    public const string PredictedLabelColumnName = "PredictedLabel";

    internal MulticlassPredictionTransformer(ClassifierHead head, IReadOnlyList<string> labels, string featureColumnName, string trainerName)
    {
        if (labels.Count != head.NumClasses) throw new ArgumentException($"The head has {head.NumClasses} classes but {labels.Count} labels were given.");
        Head = head;
        Labels = labels;
        FeatureColumnName = featureColumnName;
        TrainerName = trainerName;
    }

    /// <summary>The trained head (for export: it can be grafted onto the backbone's ONNX).</summary>
    public ClassifierHead Head { get; }

    /// <summary>Class names, by index.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The feature column read.</summary>
    public string FeatureColumnName { get; }

    /// <summary>Which trainer made the head.</summary>
    public string TrainerName { get; }

    string ISavableTransformer.StageName => Name;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        var features = inputSchema.Require("Predict", "feature", FeatureColumnName, "The head was trained on this column; keep the featurizer stage before it.", ColumnKind.Vector);
        if (features.Type.VectorSize != 0 && features.Type.VectorSize != Head.FeatureSize)
            throw new SchemaMismatchException(FeatureColumnName, $"Predict: column '{FeatureColumnName}' has {features.Type.VectorSize} values; the head was trained on {Head.FeatureSize}. Use the same backbone as at training.");
        return inputSchema
            .With(new SchemaColumn(ScoreColumnName, ColumnType.Vector(Head.NumClasses)))
            .With(new SchemaColumn(PredictedLabelColumnName, ColumnType.Key(Labels)));
    }

    /// <inheritdoc />
    public DataView Transform(DataView input)
    {
        GetOutputSchema(input.Schema);
        var features = input.GetColumn<float[]>(FeatureColumnName);
        var scores = new float[input.RowCount][];
        var predicted = new uint[input.RowCount];
        Parallel.For(0, input.RowCount, i =>
        {
            var p = Head.Probabilities(features[i]);
            scores[i] = p;
            predicted[i] = (uint)System.Numerics.Tensors.TensorPrimitives.IndexOfMax(p) + 1;
        });
        return input
            .WithColumn(new DataColumn<float[]>(ScoreColumnName, ColumnType.Vector(Head.NumClasses), scores))
            .WithColumn(new DataColumn<uint>(PredictedLabelColumnName, ColumnType.Key(Labels), predicted));
    }

    void ISavableTransformer.Save(ModelSaveContext context)
    {
        context.Write("head.bin", Head.Write);
        context.WriteJson("settings.json", new Settings(FeatureColumnName, TrainerName, [.. Labels]));
    }

    internal static ITransformer Load(ModelLoadContext context)
    {
        var s = context.ReadJson<Settings>("settings.json");
        return new MulticlassPredictionTransformer(context.Read("head.bin", ClassifierHead.Read), s.Labels, s.Features, s.Trainer);
    }

    private sealed record Settings(string Features, string Trainer, string[] Labels);
}
