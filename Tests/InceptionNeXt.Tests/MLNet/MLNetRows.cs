using Microsoft.ML.Data;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>An input row: an image file and its class.</summary>
public sealed class ImagePathRow
{
    public string ImagePath { get; set; } = "";

    public string Label { get; set; } = "";
}

/// <summary>What the featurizer tests read back.</summary>
public sealed class FeaturesPrediction
{
    [VectorType(320)]
    public float[] Features { get; set; } = [];

    [VectorType(3)]
    public float[] Logits { get; set; } = [];
}

/// <summary>What the scorer tests read back.</summary>
public sealed class ScorePrediction
{
    [VectorType(3)]
    public float[] Score { get; set; } = [];

    // A key read as its value's text, through the key values (the labels).
    [ColumnName("PredictedLabel")]
    public uint PredictedKey { get; set; }
}
