namespace InceptionNeXt.Training.Data;

/// <summary>How <see cref="RandomErasing"/> fills the erased rectangle (timm's <c>mode</c>).</summary>
public enum ErasingMode
{
    /// <summary>'const': zeros (the mean after normalisation).</summary>
    Const,

    /// <summary>'rand': one normal sample per channel.</summary>
    Rand,

    /// <summary>'pixel': a normal sample per pixel and channel.</summary>
    Pixel,
}

/// <summary>
/// timm's <c>RandomErasing</c> on a normalised CHW tensor: with probability <see cref="Probability"/>, erases
/// <see cref="Count"/> rectangle(s), each of area fraction uniform in [<see cref="MinArea"/>, <see cref="MaxArea"/>]
/// (divided by the count) and log-uniform aspect ratio in [<see cref="MinAspect"/>, 1 / <see cref="MinAspect"/>],
/// up to 10 attempts each (h and w strictly smaller than the image).
/// </summary>
/// <param name="Probability">Chance the sample is erased at all.</param>
/// <param name="Mode">Fill mode.</param>
/// <param name="MinArea">Minimum area fraction (timm 0.02).</param>
/// <param name="MaxArea">Maximum area fraction (timm 1/3).</param>
/// <param name="MinAspect">Minimum aspect ratio (timm 0.3).</param>
/// <param name="Count">Rectangles per erased sample (timm re_count 1).</param>
public sealed record RandomErasing(double Probability, ErasingMode Mode = ErasingMode.Pixel,
    double MinArea = 0.02, double MaxArea = 1.0 / 3.0, double MinAspect = 0.3, int Count = 1)
{
    /// <summary>Erases in place; returns the rectangles erased (top, left, height, width).</summary>
    /// <param name="chw">The tensor, 3 x <paramref name="height"/> x <paramref name="width"/>.</param>
    /// <param name="height">Height.</param>
    /// <param name="width">Width.</param>
    /// <param name="rng">The generator.</param>
    public List<(int Top, int Left, int Height, int Width)> Apply(Span<float> chw, int height, int width, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var erased = new List<(int, int, int, int)>();
        if (rng.NextDouble() > Probability)
        {
            return erased;
        }

        int plane = height * width;
        double area = plane;
        double logMin = Math.Log(MinAspect), logMax = Math.Log(1 / MinAspect);
        for (int n = 0; n < Count; n++)
        {
            for (int attempt = 0; attempt < 10; attempt++)
            {
                double target = rng.Uniform(MinArea, MaxArea) * area / Count;
                double aspect = Math.Exp(rng.Uniform(logMin, logMax));
                int h = (int)Math.Round(Math.Sqrt(target * aspect), MidpointRounding.ToEven);
                int w = (int)Math.Round(Math.Sqrt(target / aspect), MidpointRounding.ToEven);
                if (w < width && h < height)
                {
                    int top = rng.RandInt(0, height - h);
                    int left = rng.RandInt(0, width - w);
                    for (int c = 0; c < 3; c++)
                    {
                        float channelValue = Mode == ErasingMode.Rand ? (float)rng.Gauss() : 0f;
                        for (int y = top; y < top + h; y++)
                        {
                            Span<float> row = chw.Slice((c * plane) + (y * width) + left, w);
                            for (int x = 0; x < w; x++)
                            {
                                row[x] = Mode == ErasingMode.Pixel ? (float)rng.Gauss() : channelValue;
                            }
                        }
                    }

                    erased.Add((top, left, h, w));
                    break;
                }
            }
        }

        return erased;
    }
}
