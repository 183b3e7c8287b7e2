namespace InceptionNeXt.ML.MLNet;

/// <summary>Settings of <c>mlContext.Transforms.ScoreImagesWithInceptionNeXt</c>.</summary>
public sealed class InceptionNeXtScorerOptions : InceptionNeXtImageOptions
{
    /// <summary>The float vector column of softmax probabilities, one per class (default <c>Score</c>, as ML.NET's multiclass trainers).</summary>
    public string ScoreColumnName { get; set; } = "Score";

    /// <summary>The key column of the most likely class (default <c>PredictedLabel</c>, as ML.NET's multiclass trainers).</summary>
    public string PredictedLabelColumnName { get; set; } = "PredictedLabel";

    /// <summary>A copy (the ML.NET trainer in InceptionNeXt.Training fills in the image folder without touching the caller's options).</summary>
    internal InceptionNeXtScorerOptions Clone() => (InceptionNeXtScorerOptions)MemberwiseClone();

    internal override void Validate()
    {
        base.Validate();
        ArgumentException.ThrowIfNullOrEmpty(ScoreColumnName, nameof(ScoreColumnName));
        ArgumentException.ThrowIfNullOrEmpty(PredictedLabelColumnName, nameof(PredictedLabelColumnName));
        if (ScoreColumnName == PredictedLabelColumnName)
            throw new ArgumentOutOfRangeException(nameof(PredictedLabelColumnName), "ScoreColumnName and PredictedLabelColumnName must differ.");
    }
}
