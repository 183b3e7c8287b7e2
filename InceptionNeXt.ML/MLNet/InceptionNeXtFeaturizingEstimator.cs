using Microsoft.ML.Runtime;

namespace InceptionNeXt.ML.MLNet;

/// <summary>
/// Estimator for <see cref="InceptionNeXtFeaturizingTransformer"/>; made by
/// <c>mlContext.Transforms.FeaturizeImagesWithInceptionNeXt</c>.
/// </summary>
public sealed class InceptionNeXtFeaturizingEstimator : InceptionNeXtImageEstimatorBase<InceptionNeXtFeaturizingTransformer>
{
    internal InceptionNeXtFeaturizingEstimator(IHostEnvironment env, string outputColumnName, string inputColumnName, string modelPath, InceptionNeXtFeaturizerOptions? options)
        : base(InceptionNeXtFeaturizingTransformer.Create(env, outputColumnName, inputColumnName, modelPath, options))
    {
    }
}
