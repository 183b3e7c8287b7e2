namespace InceptionNeXt.ML.Inference;

/// <summary>The features of one image, or why it could not be read.</summary>
/// <param name="Source">The image's path or name.</param>
/// <param name="Features">Pooled backbone features (null on error).</param>
/// <param name="Error">Why the image could not be read, or null.</param>
public sealed record ImageFeatures(string Source, float[]? Features, Exception? Error)
{
    /// <summary>True when features were computed.</summary>
    public bool Succeeded => Error is null;
}

/// <summary>
/// Turns images into InceptionNeXt's pooled backbone features (the <c>features</c> output of an exported model) on
/// ONNX Runtime, for heads trained on top (transfer learning). Thread-safe.
/// </summary>
public sealed class OnnxImageFeaturizer : OnnxImageModel
{
    /// <summary>Loads the model (CPU unless <see cref="InferenceOptions.GpuDeviceId"/> is set).</summary>
    /// <exception cref="InvalidDataException">The model has no features output.</exception>
    public OnnxImageFeaturizer(string modelPath, InferenceOptions? options = null) : base(modelPath, options) => RequireFeatures(modelPath);

    /// <summary>Loads the model from its bytes; <paramref name="name"/> is how errors refer to it.</summary>
    /// <exception cref="InvalidDataException">The model has no features output.</exception>
    public OnnxImageFeaturizer(byte[] model, string name, InferenceOptions? options = null) : base(model, name, options) => RequireFeatures(name);

    private void RequireFeatures(string name)
    {
        if (!Info.HasFeatures)
        {
            Dispose();
            throw new InvalidDataException($"{name} has no 'features' output; export it with `inceptionnext export`.");
        }
    }

    /// <summary>Length of each feature vector.</summary>
    public int FeatureSize => Info.FeatureSize;

    /// <summary>Features of one image; an unreadable image throws.</summary>
    public float[] Featurize(ImageInput image)
    {
        var result = FeaturizeMany([image]).Single();
        return result.Features ?? throw result.Error!;
    }

    /// <summary>Features of many images in batches, in input order; unreadable images are reported per item.</summary>
    public IEnumerable<ImageFeatures> FeaturizeMany(IEnumerable<ImageInput> images)
    {
        foreach (var (input, row, error) in RunImages(images, "features"))
            yield return new ImageFeatures(input.Name, row, error);
    }

    /// <summary>Features for already-preprocessed pixels (<paramref name="count"/> CHW images).</summary>
    public float[][] Featurize(ReadOnlyMemory<float> pixels, int count) => RunPixels(pixels, count, "features");
}
