using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.Training.Data;

/// <summary>
/// timm's <c>RandomResizedCropAndInterpolation</c>: picks a region of random area (fraction of the image in
/// <see cref="Scale"/>) and log-uniform aspect ratio (in <see cref="Ratio"/>), up to 10 attempts, else a central
/// crop clamped to the ratio range; crops it and resizes to <see cref="Size"/> x <see cref="Size"/> with PIL-exact
/// resampling (<see cref="ImageResizer"/>). With <see cref="RandomInterpolation"/> the filter is drawn per call
/// from bilinear and bicubic (timm's <c>interpolation='random'</c>).
/// </summary>
public sealed class RandomResizedCrop
{
    /// <summary>Creates the transform.</summary>
    /// <param name="size">Output side.</param>
    /// <param name="scale">Area fraction range; default (0.08, 1).</param>
    /// <param name="ratio">Aspect ratio (w/h) range; default (3/4, 4/3).</param>
    /// <param name="interpolation">The filter when not random.</param>
    /// <param name="randomInterpolation">Draw bilinear or bicubic per call.</param>
    public RandomResizedCrop(int size, (double Min, double Max)? scale = null, (double Min, double Max)? ratio = null,
        ResamplingFilter interpolation = ResamplingFilter.Bicubic, bool randomInterpolation = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Size = size;
        Scale = scale ?? (0.08, 1.0);
        Ratio = ratio ?? (3.0 / 4.0, 4.0 / 3.0);
        if (!(Scale.Min > 0 && Scale.Min <= Scale.Max) || !(Ratio.Min > 0 && Ratio.Min <= Ratio.Max))
        {
            throw new ArgumentException($"Bad RandomResizedCrop ranges: scale {Scale}, ratio {Ratio}.");
        }

        Interpolation = interpolation;
        RandomInterpolation = randomInterpolation;
    }

    /// <summary>Output side.</summary>
    public int Size { get; }

    /// <summary>Area fraction range.</summary>
    public (double Min, double Max) Scale { get; }

    /// <summary>Aspect ratio range (width / height).</summary>
    public (double Min, double Max) Ratio { get; }

    /// <summary>The fixed filter.</summary>
    public ResamplingFilter Interpolation { get; }

    /// <summary>Whether the filter is drawn from bilinear/bicubic per call.</summary>
    public bool RandomInterpolation { get; }

    /// <summary>
    /// timm's <c>get_params</c>: the crop (top, left, height, width) for a <paramref name="width"/> x
    /// <paramref name="height"/> image.
    /// </summary>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="scale">Area fraction range.</param>
    /// <param name="ratio">Aspect ratio range.</param>
    /// <param name="rng">The generator.</param>
    public static (int Top, int Left, int Height, int Width) GetParams(int width, int height,
        (double Min, double Max) scale, (double Min, double Max) ratio, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        double area = (double)width * height;
        double logMin = Math.Log(ratio.Min), logMax = Math.Log(ratio.Max);
        for (int attempt = 0; attempt < 10; attempt++)
        {
            double targetArea = rng.Uniform(scale.Min, scale.Max) * area;
            double aspect = Math.Exp(rng.Uniform(logMin, logMax));
            int w = (int)Math.Round(Math.Sqrt(targetArea * aspect), MidpointRounding.ToEven);
            int h = (int)Math.Round(Math.Sqrt(targetArea / aspect), MidpointRounding.ToEven);
            if (w <= width && h <= height)
            {
                int top = rng.RandInt(0, height - h);
                int left = rng.RandInt(0, width - w);
                return (top, left, h, w);
            }
        }

        // Fallback to a central crop.
        double inRatio = (double)width / height;
        int cw, ch;
        if (inRatio < ratio.Min)
        {
            cw = width;
            ch = (int)Math.Round(cw / ratio.Min, MidpointRounding.ToEven);
        }
        else if (inRatio > ratio.Max)
        {
            ch = height;
            cw = (int)Math.Round(ch * ratio.Max, MidpointRounding.ToEven);
        }
        else
        {
            cw = width;
            ch = height;
        }

        return ((height - ch) / 2, (width - cw) / 2, ch, cw);
    }

    /// <summary>Crops a random region and resizes it to <see cref="Size"/> x <see cref="Size"/>.</summary>
    /// <param name="image">The source.</param>
    /// <param name="rng">The generator.</param>
    public RgbImage Apply(RgbImage image, Random rng)
    {
        ArgumentNullException.ThrowIfNull(image);
        (int top, int left, int h, int w) = GetParams(image.Width, image.Height, Scale, Ratio, rng);
        ResamplingFilter filter = RandomInterpolation
            ? (rng.Next(2) == 0 ? ResamplingFilter.Bilinear : ResamplingFilter.Bicubic)
            : Interpolation;
        RgbImage crop = Crop(image, left, top, Math.Max(w, 1), Math.Max(h, 1));
        return crop.Width == Size && crop.Height == Size ? crop : ImageResizer.Resize(crop, Size, Size, filter);
    }

    /// <summary>PIL's <c>Image.crop</c> for a box inside the image.</summary>
    /// <param name="image">The source.</param>
    /// <param name="left">First column.</param>
    /// <param name="top">First row.</param>
    /// <param name="width">Columns.</param>
    /// <param name="height">Rows.</param>
    public static RgbImage Crop(RgbImage image, int left, int top, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (left < 0 || top < 0 || left + width > image.Width || top + height > image.Height || width < 1 || height < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(left), $"Crop {left},{top} {width}x{height} outside {image.Width}x{image.Height}.");
        }

        var result = new RgbImage(width, height);
        for (int y = 0; y < height; y++)
        {
            image.Pixels.AsSpan(((top + y) * image.Stride) + (3 * left), 3 * width).CopyTo(result.Pixels.AsSpan(y * result.Stride));
        }

        return result;
    }
}
