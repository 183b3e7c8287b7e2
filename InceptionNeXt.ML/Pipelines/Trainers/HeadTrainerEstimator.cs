using InceptionNeXt.ML.Pipelines.Data;
using InceptionNeXt.ML.Trainers;

namespace InceptionNeXt.ML.Pipelines.Trainers;

/// <summary>
/// Trains a classification head (<see cref="IHeadTrainer"/>) on a feature vector column and a key label column; the
/// fitted transformer adds <c>Score</c> (class probabilities) and <c>PredictedLabel</c> (a key), as ML.NET's
/// multiclass trainers do. Given a validation view (<see cref="EstimatorChain{TLast}.Fit(DataView, DataView?)"/>),
/// the trainer stops early on it.
/// </summary>
public sealed class HeadTrainerEstimator : ISupportsValidation<MulticlassPredictionTransformer>
{
    /// <summary>Wraps <paramref name="trainer"/> as a pipeline stage (the catalog's trainer methods do this for you).</summary>
    public HeadTrainerEstimator(IHeadTrainer trainer, string labelColumnName = "Label", string featureColumnName = "Features")
    {
        ArgumentNullException.ThrowIfNull(trainer);
        Trainer = trainer;
        LabelColumnName = labelColumnName;
        FeatureColumnName = featureColumnName;
    }

    /// <summary>The algorithm.</summary>
    public IHeadTrainer Trainer { get; }

    /// <summary>The key label column.</summary>
    public string LabelColumnName { get; }

    /// <summary>The feature vector column.</summary>
    public string FeatureColumnName { get; }

    /// <summary>Cancels a long fit (returns the best head so far).</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        var label = inputSchema.Require(Trainer.Name, "label", LabelColumnName,
            $"Trainers need the label as a key: add Transforms.Conversion.MapValueToKey(\"{LabelColumnName}\") before the trainer.", ColumnKind.Key);
        var features = inputSchema.Require(Trainer.Name, "feature", FeatureColumnName,
            "Add Transforms.FeaturizeImages(...) before the trainer, or name the feature column with featureColumnName.", ColumnKind.Vector);
        if (features.Type.VectorSize == 0)
            throw new SchemaMismatchException(FeatureColumnName, $"{Trainer.Name}: feature column '{FeatureColumnName}' has no fixed length; give the property [VectorType(N)].");
        return inputSchema
            .With(new SchemaColumn(MulticlassPredictionTransformer.ScoreColumnName, ColumnType.Vector(label.Type.KeyValues.Count)))
            .With(new SchemaColumn(MulticlassPredictionTransformer.PredictedLabelColumnName, label.Type));
    }

    /// <inheritdoc />
    public MulticlassPredictionTransformer Fit(DataView input) => Fit(input, null);

    /// <inheritdoc />
    public MulticlassPredictionTransformer Fit(DataView input, DataView? validation)
    {
        GetOutputSchema(input.Schema);
        var labels = input.Schema.Find(LabelColumnName)!.Type.KeyValues;
        if (labels.Count < 2) throw new ArgumentException($"{Trainer.Name}: the label column '{LabelColumnName}' has {labels.Count} class; a classifier needs at least 2.");
        var train = ToSet(input, labels.Count, "training");
        HeadTrainingSet? val = null;
        if (validation is not null)
        {
            var schema = validation.Schema.Require(Trainer.Name, "validation label", LabelColumnName, "", ColumnKind.Key);
            if (!schema.Type.KeyValues.SequenceEqual(labels))
                throw new ArgumentException($"{Trainer.Name}: the validation data's label keys differ from the training data's; map both with the same fitted MapValueToKey.");
            val = ToSet(validation, labels.Count, "validation");
        }
        var head = Trainer.Train(train, val, CancellationToken);
        return new MulticlassPredictionTransformer(head, labels, FeatureColumnName, Trainer.Name);
    }

    private HeadTrainingSet ToSet(DataView data, int classes, string what)
    {
        var keys = data.GetColumn<uint>(LabelColumnName);
        var features = data.GetColumn<float[]>(FeatureColumnName);
        var x = new List<float[]>(data.RowCount);
        var y = new List<int>(data.RowCount);
        var missing = 0;
        for (var i = 0; i < data.RowCount; i++)
        {
            if (keys[i] == 0) { missing++; continue; }
            x.Add(features[i]);
            y.Add((int)keys[i] - 1);
        }
        if (missing > 0 && x.Count == 0)
            throw new ArgumentException($"{Trainer.Name}: every {what} row has a label that the key mapping does not know.");
        // Rows whose label the key mapping did not see at Fit time carry no target; they are left out.
        return new HeadTrainingSet(x, y, classes);
    }
}
