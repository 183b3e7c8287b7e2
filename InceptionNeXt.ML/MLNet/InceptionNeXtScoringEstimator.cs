using Microsoft.ML.Runtime;

namespace InceptionNeXt.ML.MLNet;

/// <summary>
/// Estimator for <see cref="InceptionNeXtScoringTransformer"/>; made by <c>mlContext.Transforms.ScoreImagesWithInceptionNeXt</c>.
/// </summary>
public sealed class InceptionNeXtScoringEstimator : InceptionNeXtImageEstimatorBase<InceptionNeXtScoringTransformer>
{
    internal InceptionNeXtScoringEstimator(IHostEnvironment env, string inputColumnName, string modelPath, InceptionNeXtScorerOptions? options)
        : base(InceptionNeXtScoringTransformer.Create(env, inputColumnName, modelPath, options))
    {
    }
}
