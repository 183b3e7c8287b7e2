namespace InceptionNeXt.ML.MLNet;

/// <summary>Settings of <c>mlContext.Transforms.FeaturizeImagesWithInceptionNeXt</c>.</summary>
public sealed class InceptionNeXtFeaturizerOptions : InceptionNeXtImageOptions
{
    /// <summary>
    /// Also output the model's class scores before softmax (its <c>logits</c> output) into a float vector column of this
    /// name, from the same run. Null (default): features only. The model must then be a classifier.
    /// </summary>
    public string? LogitsColumnName { get; set; }

    internal override void Validate()
    {
        base.Validate();
        if (LogitsColumnName is { Length: 0 }) throw new ArgumentOutOfRangeException(nameof(LogitsColumnName), "LogitsColumnName must not be empty (null for none).");
    }
}
