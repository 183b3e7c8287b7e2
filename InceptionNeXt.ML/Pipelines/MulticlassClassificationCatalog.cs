using InceptionNeXt.ML.Evaluation;
using InceptionNeXt.ML.Pipelines.Data;
using InceptionNeXt.ML.Pipelines.Trainers;
using InceptionNeXt.ML.Trainers;

namespace InceptionNeXt.ML.Pipelines;

/// <summary>Multiclass head trainers and evaluation.</summary>
public sealed class MulticlassClassificationCatalog
{
    private readonly InceptionNeXtContext context;

    internal MulticlassClassificationCatalog(InceptionNeXtContext context)
    {
        this.context = context;
        Trainers = new MulticlassTrainersCatalog(context);
    }

    /// <summary>Head trainers.</summary>
    public MulticlassTrainersCatalog Trainers { get; }

    /// <summary>
    /// Accuracy (micro/macro, top-k), log-loss and its reduction, per-class precision/recall/F1 and the confusion
    /// matrix of scored data (the output of a fitted pipeline, before or after MapKeyToValue on PredictedLabel).
    /// </summary>
    public MulticlassMetrics Evaluate(DataView data, string labelColumnName = "Label", string scoreColumnName = "Score", int topK = 5)
    {
        var label = data.Schema.Require("Evaluate", "label", labelColumnName, "Evaluate the output of the fitted pipeline on data that has the key label column.", ColumnKind.Key);
        data.Schema.Require("Evaluate", "score", scoreColumnName, "Evaluate the output of the fitted pipeline (its trainer writes 'Score').", ColumnKind.Vector);
        var keys = data.GetColumn<uint>(labelColumnName);
        var scores = data.GetColumn<float[]>(scoreColumnName);
        var labels = new List<int>();
        var probabilities = new List<float[]>();
        var unknown = 0;
        for (var i = 0; i < data.RowCount; i++)
        {
            if (keys[i] == 0) { unknown++; continue; }
            labels.Add((int)keys[i] - 1);
            probabilities.Add(scores[i]);
        }
        if (labels.Count == 0)
            throw new ArgumentException($"Evaluate: none of the {data.RowCount} rows has a label the model knows" + (unknown > 0 ? " (their labels were not in the training data)." : "."));
        return MulticlassEvaluator.Evaluate(labels, probabilities, label.Type.KeyValues, topK);
    }
}

/// <summary>Heads trained on frozen features (transfer learning).</summary>
public sealed class MulticlassTrainersCatalog
{
    private readonly InceptionNeXtContext context;

    internal MulticlassTrainersCatalog(InceptionNeXtContext context) => this.context = context;

    /// <summary>Multinomial logistic regression by L-BFGS with L2 (ML.NET's LbfgsMaximumEntropy).</summary>
    public HeadTrainerEstimator LbfgsLogisticRegression(string labelColumnName = "Label", string featureColumnName = "Features", LbfgsLogisticRegression? trainer = null) =>
        new(trainer ?? new LbfgsLogisticRegression(), labelColumnName, featureColumnName);

    /// <summary>A small MLP head (one hidden ReLU layer) with Adam and early stopping.</summary>
    public HeadTrainerEstimator MlpHead(string labelColumnName = "Label", string featureColumnName = "Features", MlpHeadTrainer? trainer = null) =>
        new(trainer ?? new MlpHeadTrainer { Seed = context.Seed }, labelColumnName, featureColumnName);

    /// <summary>Any head trainer.</summary>
    public HeadTrainerEstimator Head(IHeadTrainer trainer, string labelColumnName = "Label", string featureColumnName = "Features") =>
        new(trainer, labelColumnName, featureColumnName);
}
