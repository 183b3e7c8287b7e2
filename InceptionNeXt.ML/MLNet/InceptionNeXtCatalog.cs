using InceptionNeXt.ML.MLNet;
using Microsoft.ML.Data;

// In ML.NET's own namespace, as its component catalogs (OnnxCatalog, ImageEstimatorsCatalog) are: `using Microsoft.ML;`
// is all it takes for these to show up on mlContext.Transforms.
namespace Microsoft.ML;

/// <summary>InceptionNeXt image models as ML.NET transforms on <c>mlContext.Transforms</c>.</summary>
public static class InceptionNeXtCatalog
{
    /// <summary>
    /// Adds InceptionNeXt's pooled backbone features of each row's image, for an ML.NET trainer on top (transfer learning).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="outputColumnName">The features column: a float vector of the model's feature size.</param>
    /// <param name="inputColumnName">
    /// The image column: file paths (text; relative to <see cref="InceptionNeXtImageOptions.ImageFolder"/> if set), encoded
    /// JPEG/PNG bytes (a byte vector, as <c>LoadRawImageBytes</c> gives) or images (<c>MLImage</c>, as <c>LoadImages</c> gives).
    /// </param>
    /// <param name="modelPath">
    /// An ONNX model exported by <c>inceptionnext export</c> (it has a <c>features</c> output and its preprocessing in its
    /// metadata). It is read now and stored inside the ML.NET model when saved.
    /// </param>
    /// <param name="options">Batching, device, threads, unreadable images and an optional logits column; null for the defaults.</param>
    /// <exception cref="FileNotFoundException">No file at <paramref name="modelPath"/>.</exception>
    /// <exception cref="InvalidDataException">The model has no <c>features</c> output or cannot be loaded.</exception>
    /// <example>
    /// <code>
    /// var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
    ///     .Append(mlContext.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", "inceptionnext.onnx"))
    ///     .Append(mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy());
    /// </code>
    /// </example>
    public static InceptionNeXtFeaturizingEstimator FeaturizeImagesWithInceptionNeXt(this TransformsCatalog catalog, string outputColumnName,
        string inputColumnName, string modelPath, InceptionNeXtFeaturizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new InceptionNeXtFeaturizingEstimator(catalog.GetEnvironment(), outputColumnName, inputColumnName, modelPath, options);
    }

    /// <summary>
    /// Classifies each row's image with an exported InceptionNeXt classifier, adding <c>Score</c> (softmax probabilities,
    /// slot names = labels) and <c>PredictedLabel</c> (a key whose key values are the labels), as ML.NET's multiclass
    /// trainers do, so <c>mlContext.MulticlassClassification.Evaluate</c> works on the output.
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="inputColumnName">The image column: file paths (text), encoded bytes (a byte vector) or <c>MLImage</c>.</param>
    /// <param name="modelPath">An ONNX classifier exported by <c>inceptionnext export</c> (a <c>logits</c> output, labels in its metadata).</param>
    /// <param name="options">Output column names, batching, device, threads and unreadable images; null for the defaults.</param>
    /// <exception cref="FileNotFoundException">No file at <paramref name="modelPath"/>.</exception>
    /// <exception cref="InvalidDataException">The model has no <c>logits</c> output or cannot be loaded.</exception>
    public static InceptionNeXtScoringEstimator ScoreImagesWithInceptionNeXt(this TransformsCatalog catalog, string inputColumnName, string modelPath,
        InceptionNeXtScorerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new InceptionNeXtScoringEstimator(catalog.GetEnvironment(), inputColumnName, modelPath, options);
    }
}
