using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.Training.Data;

/// <summary>timm's eval transform (resize shorter side to floor(size / crop_pct), center crop, normalise) via the shared <see cref="ImagePreprocessor"/>; ignores the generator.</summary>
public sealed class EvalTransform : IImageTransform
{
    private readonly ImagePreprocessor _preprocessor;

    /// <summary>Creates the transform.</summary>
    /// <param name="options">Size, crop fraction, interpolation, mean and std.</param>
    public EvalTransform(PreprocessOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _preprocessor = new ImagePreprocessor(options);
    }

    /// <summary>The settings.</summary>
    public PreprocessOptions Options => _preprocessor.Options;

    /// <inheritdoc />
    public int OutputSize => _preprocessor.Options.InputSize;

    /// <inheritdoc />
    public void Apply(RgbImage image, Random rng, Span<float> destination) => _preprocessor.ToTensor(image, destination);
}
