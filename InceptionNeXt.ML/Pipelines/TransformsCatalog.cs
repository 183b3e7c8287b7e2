using InceptionNeXt.ML.Imaging;
using InceptionNeXt.ML.Pipelines.Transforms;

namespace InceptionNeXt.ML.Pipelines;

/// <summary>Image and conversion stages.</summary>
public sealed class TransformsCatalog
{
    internal TransformsCatalog() { }

    /// <summary>Key/value conversions.</summary>
    public ConversionCatalog Conversion { get; } = new();

    /// <summary>Paths (text) to images; relative paths are resolved against <paramref name="imageFolder"/> when given.</summary>
    public TrivialEstimator<LoadImagesTransformer> LoadImages(string outputColumnName = "Image", string? imageFolder = null, string inputColumnName = "ImagePath") =>
        new(new LoadImagesTransformer(outputColumnName, imageFolder, inputColumnName));

    /// <summary>Images to normalised CHW pixel vectors (timm's eval transform; <paramref name="options"/> default: 224 px, crop 0.875, bicubic, ImageNet mean/std).</summary>
    public TrivialEstimator<PreprocessImagesTransformer> PreprocessImages(string outputColumnName = "Pixels", string inputColumnName = "Image", PreprocessOptions? options = null) =>
        new(new PreprocessImagesTransformer(outputColumnName, inputColumnName, options ?? PreprocessOptions.Default));

    /// <summary>
    /// InceptionNeXt features from an exported model file (<c>inceptionnext export</c>, which has a <c>features</c>
    /// output). Reads an image column with the model's own preprocessing, or pixels from PreprocessImages.
    /// </summary>
    /// <exception cref="FileNotFoundException">The model file is missing.</exception>
    public TrivialEstimator<ImageFeaturizerTransformer> FeaturizeImages(string modelPath, string outputColumnName = "Features", string inputColumnName = "Image", ImageFeaturizerOptions? options = null)
    {
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"Featurizer model {modelPath} not found.", modelPath);
        return FeaturizeImages(File.ReadAllBytes(modelPath), Path.GetFileName(modelPath), outputColumnName, inputColumnName, options);
    }

    /// <summary>
    /// A whole exported classifier (fine-tuned, or with a grafted head): images to <c>Score</c> and <c>PredictedLabel</c>
    /// over the model's own labels, with the model's own preprocessing. Options choose CPU/CUDA and batching.
    /// </summary>
    /// <exception cref="FileNotFoundException">The model file is missing.</exception>
    public TrivialEstimator<ImageClassifierTransformer> ClassifyImages(string modelPath, string inputColumnName = "Image", Inference.InferenceOptions? options = null)
    {
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"Classifier model {modelPath} not found.", modelPath);
        return new(new ImageClassifierTransformer(File.ReadAllBytes(modelPath), Path.GetFileName(modelPath), inputColumnName, options));
    }

    /// <summary>InceptionNeXt features from model bytes; <paramref name="modelName"/> names it in messages.</summary>
    public TrivialEstimator<ImageFeaturizerTransformer> FeaturizeImages(byte[] model, string modelName, string outputColumnName = "Features", string inputColumnName = "Image", ImageFeaturizerOptions? options = null) =>
        new(new ImageFeaturizerTransformer(model, modelName, outputColumnName, inputColumnName, options));
}

/// <summary>Key/value conversions (ML.NET's Transforms.Conversion).</summary>
public sealed class ConversionCatalog
{
    internal ConversionCatalog() { }

    /// <summary>Text categories to keys (learned at Fit time, sorted by default so indices are stable).</summary>
    public ValueToKeyMappingEstimator MapValueToKey(string outputColumnName = "Label", string? inputColumnName = null, KeyOrdinality keyOrdinality = KeyOrdinality.ByValue) =>
        new(outputColumnName, inputColumnName ?? outputColumnName, keyOrdinality);

    /// <summary>Keys back to their text.</summary>
    public TrivialEstimator<KeyToValueMappingTransformer> MapKeyToValue(string outputColumnName = "PredictedLabel", string? inputColumnName = null) =>
        new(new KeyToValueMappingTransformer(outputColumnName, inputColumnName ?? outputColumnName));
}
