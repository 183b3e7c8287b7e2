using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.Training.Data;

/// <summary>
/// torchvision's <c>ColorJitter(brightness, contrast, saturation)</c> on a PIL image (as timm applies it): factors
/// drawn uniformly from [max(0, 1 - v), 1 + v], applied in a random order (torchvision draws a permutation of
/// brightness, contrast, saturation, hue; hue is not supported and must be 0) with PIL's
/// <c>ImageEnhance</c> semantics (<see cref="ImageOps.Brightness"/>, <see cref="ImageOps.Contrast"/>,
/// <see cref="ImageOps.Color"/>).
/// </summary>
/// <param name="Brightness">Brightness strength (0: off).</param>
/// <param name="Contrast">Contrast strength (0: off).</param>
/// <param name="Saturation">Saturation strength (0: off).</param>
public sealed record ColorJitter(double Brightness, double Contrast, double Saturation)
{
    /// <summary>The same strength for all three (timm's <c>color_jitter=0.4</c>).</summary>
    /// <param name="strength">The strength.</param>
    public static ColorJitter Uniform(double strength) => new(strength, strength, strength);

    /// <summary>Applies the jitter.</summary>
    /// <param name="image">The source.</param>
    /// <param name="rng">The generator.</param>
    public RgbImage Apply(RgbImage image, Random rng)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(rng);
        int[] order = [0, 1, 2, 3];
        rng.Shuffle(order);
        double? b = Draw(Brightness, rng), c = Draw(Contrast, rng), s = Draw(Saturation, rng);
        RgbImage result = image;
        foreach (int op in order)
        {
            result = op switch
            {
                0 when b is { } f => ImageOps.Brightness(result, f),
                1 when c is { } f => ImageOps.Contrast(result, f),
                2 when s is { } f => ImageOps.Color(result, f),
                _ => result,
            };
        }

        return ReferenceEquals(result, image) ? image.Clone() : result;
    }

    private static double? Draw(double strength, Random rng)
        => strength > 0 ? rng.Uniform(Math.Max(0, 1 - strength), 1 + strength) : null;
}
