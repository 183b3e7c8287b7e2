using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.Training.Data;

/// <summary>
/// timm's training transform (<c>transforms_imagenet_train</c>): RandomResizedCrop, horizontal flip, then RandAugment
/// when configured (colour jitter is then off, as in timm) or colour jitter, then to-tensor and normalise, then
/// random erasing on the normalised tensor. RandAugment fills geometric ops with the mean colour
/// (<c>round(255 * mean)</c>), as timm's <c>create_transform</c> does.
/// </summary>
public sealed class TrainTransform : IImageTransform
{
    private readonly float[] _lut = new float[3 * 256];

    /// <summary>Creates the transform.</summary>
    /// <param name="options">The settings.</param>
    public TrainTransform(TrainTransformOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Crop = new RandomResizedCrop(options.ImageSize, options.Scale, options.Ratio,
            options.Interpolation ?? ResamplingFilter.Bicubic, options.Interpolation is null);
        if (options.AutoAugment is { } aa)
        {
            var fill = ((byte)Math.Min(255, Math.Round(255 * options.Mean[0])), (byte)Math.Min(255, Math.Round(255 * options.Mean[1])),
                (byte)Math.Min(255, Math.Round(255 * options.Mean[2])));
            RandAugment = RandAugment.Parse(aa, fill);
        }
        else if (options.ColorJitter > 0)
        {
            Jitter = ColorJitter.Uniform(options.ColorJitter);
        }

        if (options.ReProb > 0)
        {
            Erasing = new RandomErasing(options.ReProb, options.ReMode, Count: options.ReCount);
        }

        for (int c = 0; c < 3; c++)
        {
            for (int v = 0; v < 256; v++)
            {
                _lut[(c * 256) + v] = ((v / 255f) - options.Mean[c]) / options.Std[c];
            }
        }
    }

    /// <summary>The settings.</summary>
    public TrainTransformOptions Options { get; }

    /// <summary>The crop stage.</summary>
    public RandomResizedCrop Crop { get; }

    /// <summary>The RandAugment stage, or null.</summary>
    public RandAugment? RandAugment { get; }

    /// <summary>The colour jitter stage, or null.</summary>
    public ColorJitter? Jitter { get; }

    /// <summary>The random erasing stage, or null.</summary>
    public RandomErasing? Erasing { get; }

    /// <inheritdoc />
    public int OutputSize => Options.ImageSize;

    /// <summary>The 8-bit image after the crop, flip and colour stages (before tensor conversion).</summary>
    /// <param name="image">The source.</param>
    /// <param name="rng">The generator.</param>
    public RgbImage ApplyToImage(RgbImage image, Random rng)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(rng);
        RgbImage x = Crop.Apply(image, rng);
        if (Options.HFlip > 0 && rng.NextDouble() < Options.HFlip)
        {
            x = ImageOps.FlipHorizontal(x);
        }

        if (RandAugment is not null)
        {
            x = RandAugment.Apply(x, rng);
        }
        else if (Jitter is not null)
        {
            x = Jitter.Apply(x, rng);
        }

        return x;
    }

    /// <inheritdoc />
    public void Apply(RgbImage image, Random rng, Span<float> destination)
    {
        RgbImage x = ApplyToImage(image, rng);
        int s = Options.ImageSize, plane = s * s;
        if (destination.Length < 3 * plane)
        {
            throw new ArgumentException($"Destination needs {3 * plane} floats, got {destination.Length}.", nameof(destination));
        }

        ToNormalizedTensor(x, _lut, destination);
        Erasing?.Apply(destination[..(3 * plane)], s, s, rng);
    }

    private static void ToNormalizedTensor(RgbImage image, float[] lut, Span<float> destination)
    {
        int plane = image.Width * image.Height;
        byte[] p = image.Pixels;
        for (int i = 0; i < plane; i++)
        {
            destination[i] = lut[p[3 * i]];
            destination[plane + i] = lut[256 + p[(3 * i) + 1]];
            destination[(2 * plane) + i] = lut[512 + p[(3 * i) + 2]];
        }
    }
}
