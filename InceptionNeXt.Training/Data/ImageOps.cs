using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.Training.Data;

/// <summary>
/// PIL's <c>ImageOps</c> / <c>ImageEnhance</c> / <c>Image.transform(AFFINE)</c> operations on <see cref="RgbImage"/>, as
/// timm's augmentations use them. Point ops (invert, posterize, solarize, solarize-add, autocontrast, equalize) and
/// the enhance blends follow PIL's integer/float rules; every op returns a new image.
/// </summary>
public static class ImageOps
{
    /// <summary>timm's default fill for geometric ops, (128, 128, 128).</summary>
    public static readonly (byte R, byte G, byte B) DefaultFill = (128, 128, 128);

    /// <summary>Applies a 256-entry lookup table to every channel.</summary>
    /// <param name="image">The source.</param>
    /// <param name="lut">The table.</param>
    public static RgbImage Point(RgbImage image, ReadOnlySpan<byte> lut)
    {
        ArgumentNullException.ThrowIfNull(image);
        var result = new RgbImage(image.Width, image.Height);
        byte[] src = image.Pixels, dst = result.Pixels;
        for (int i = 0; i < src.Length; i++)
        {
            dst[i] = lut[src[i]];
        }

        return result;
    }

    /// <summary><c>ImageOps.invert</c>: 255 - x.</summary>
    /// <param name="image">The source.</param>
    public static RgbImage Invert(RgbImage image) => Point(image, Lut(i => 255 - i));

    /// <summary><c>ImageOps.posterize</c>: keeps the top <paramref name="bits"/> bits (8 or more: unchanged copy).</summary>
    /// <param name="image">The source.</param>
    /// <param name="bits">Bits kept, 0..8.</param>
    public static RgbImage Posterize(RgbImage image, int bits)
    {
        if (bits >= 8)
        {
            return image.Clone();
        }

        int mask = ~((1 << (8 - Math.Max(bits, 0))) - 1);
        return Point(image, Lut(i => i & mask));
    }

    /// <summary><c>ImageOps.solarize</c>: values at or above <paramref name="threshold"/> become 255 - x.</summary>
    /// <param name="image">The source.</param>
    /// <param name="threshold">The threshold (256: unchanged).</param>
    public static RgbImage Solarize(RgbImage image, int threshold) => Point(image, Lut(i => i < threshold ? i : 255 - i));

    /// <summary>timm's <c>solarize_add</c>: values below <paramref name="threshold"/> get <paramref name="add"/> added (clipped at 255).</summary>
    /// <param name="image">The source.</param>
    /// <param name="add">Amount added.</param>
    /// <param name="threshold">Threshold (timm: 128).</param>
    public static RgbImage SolarizeAdd(RgbImage image, int add, int threshold = 128)
        => Point(image, Lut(i => i < threshold ? Math.Min(255, i + add) : i));

    /// <summary><c>ImageOps.autocontrast(image)</c> (cutoff 0): per channel, stretches [min, max] to [0, 255].</summary>
    /// <param name="image">The source.</param>
    public static RgbImage AutoContrast(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return PerChannel(image, hist =>
        {
            int lo = 0;
            while (lo < 256 && hist[lo] == 0)
            {
                lo++;
            }

            int hi = 255;
            while (hi >= 0 && hist[hi] == 0)
            {
                hi--;
            }

            if (hi <= lo)
            {
                return Lut(i => i);
            }

            double scale = 255.0 / (hi - lo);
            double offset = -lo * scale;
            return Lut(i => Math.Clamp((int)((i * scale) + offset), 0, 255));
        });
    }

    /// <summary><c>ImageOps.equalize(image)</c>: per-channel histogram equalisation (PIL's step rule).</summary>
    /// <param name="image">The source.</param>
    public static RgbImage Equalize(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return PerChannel(image, hist =>
        {
            int[] nonZero = hist.Where(h => h != 0).ToArray();
            if (nonZero.Length <= 1)
            {
                return Lut(i => i);
            }

            int step = (nonZero.Sum() - nonZero[^1]) / 255;
            if (step == 0)
            {
                return Lut(i => i);
            }

            var lut = new byte[256];
            int n = step / 2;
            for (int i = 0; i < 256; i++)
            {
                lut[i] = (byte)Math.Min(255, n / step);
                n += hist[i];
            }

            return lut;
        });
    }

    /// <summary>PIL's <c>Image.blend(degenerate, image, factor)</c> (what <c>ImageEnhance</c> does), truncating to bytes.</summary>
    /// <param name="degenerate">The image at factor 0.</param>
    /// <param name="image">The image at factor 1.</param>
    /// <param name="factor">The factor; outside [0, 1] extrapolates with clipping.</param>
    public static RgbImage Blend(RgbImage degenerate, RgbImage image, double factor)
    {
        ArgumentNullException.ThrowIfNull(degenerate);
        ArgumentNullException.ThrowIfNull(image);
        float alpha = (float)factor;
        var result = new RgbImage(image.Width, image.Height);
        byte[] a = degenerate.Pixels, b = image.Pixels, dst = result.Pixels;
        for (int i = 0; i < dst.Length; i++)
        {
            float t = a[i] + (alpha * (b[i] - a[i]));
            dst[i] = t <= 0f ? (byte)0 : t >= 255f ? (byte)255 : (byte)t;
        }

        return result;
    }

    /// <summary>PIL's RGB to L conversion (ITU-R 601-2 luma, 16-bit fixed point with rounding).</summary>
    /// <param name="r">Red.</param>
    /// <param name="g">Green.</param>
    /// <param name="b">Blue.</param>
    public static byte Luma(byte r, byte g, byte b) => (byte)(((r * 19595) + (g * 38470) + (b * 7471) + 0x8000) >> 16);

    /// <summary><c>ImageEnhance.Color(image).enhance(factor)</c>: blend with the grayscale image.</summary>
    /// <param name="image">The source.</param>
    /// <param name="factor">0: grayscale, 1: unchanged.</param>
    public static RgbImage Color(RgbImage image, double factor)
    {
        ArgumentNullException.ThrowIfNull(image);
        var gray = new RgbImage(image.Width, image.Height);
        byte[] s = image.Pixels, d = gray.Pixels;
        for (int i = 0; i < s.Length; i += 3)
        {
            byte l = Luma(s[i], s[i + 1], s[i + 2]);
            d[i] = d[i + 1] = d[i + 2] = l;
        }

        return Blend(gray, image, factor);
    }

    /// <summary><c>ImageEnhance.Contrast(image).enhance(factor)</c>: blend with the mean luma (rounded) as a flat image.</summary>
    /// <param name="image">The source.</param>
    /// <param name="factor">0: flat grey at the mean, 1: unchanged.</param>
    public static RgbImage Contrast(RgbImage image, double factor)
    {
        ArgumentNullException.ThrowIfNull(image);
        byte[] s = image.Pixels;
        long sum = 0;
        for (int i = 0; i < s.Length; i += 3)
        {
            sum += Luma(s[i], s[i + 1], s[i + 2]);
        }

        byte mean = (byte)(int)((sum / (double)(image.Width * image.Height)) + 0.5);
        var flat = new RgbImage(image.Width, image.Height);
        Array.Fill(flat.Pixels, mean);
        return Blend(flat, image, factor);
    }

    /// <summary><c>ImageEnhance.Brightness(image).enhance(factor)</c>: blend with black.</summary>
    /// <param name="image">The source.</param>
    /// <param name="factor">0: black, 1: unchanged.</param>
    public static RgbImage Brightness(RgbImage image, double factor)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Blend(new RgbImage(image.Width, image.Height), image, factor);
    }

    /// <summary>
    /// <c>ImageEnhance.Sharpness(image).enhance(factor)</c>: blend with PIL's SMOOTH filter (3x3 kernel
    /// 1 1 1 / 1 5 1 / 1 1 1 over 13; border pixels unfiltered).
    /// </summary>
    /// <param name="image">The source.</param>
    /// <param name="factor">0: smoothed, 1: unchanged, above 1: sharpened.</param>
    public static RgbImage Sharpness(RgbImage image, double factor)
    {
        ArgumentNullException.ThrowIfNull(image);
        RgbImage smooth = image.Clone();
        int w = image.Width, h = image.Height, stride = image.Stride;
        byte[] s = image.Pixels, d = smooth.Pixels;
        for (int y = 1; y < h - 1; y++)
        {
            for (int x = 1; x < w - 1; x++)
            {
                for (int c = 0; c < 3; c++)
                {
                    int o = (y * stride) + (3 * x) + c;
                    int sum = s[o - stride - 3] + s[o - stride] + s[o - stride + 3]
                        + s[o - 3] + (5 * s[o]) + s[o + 3]
                        + s[o + stride - 3] + s[o + stride] + s[o + stride + 3];
                    d[o] = (byte)Math.Clamp((int)((sum / 13f) + 0.5f), 0, 255);
                }
            }
        }

        return Blend(smooth, image, factor);
    }

    /// <summary>
    /// PIL's <c>Image.transform(size, AFFINE, (a, b, c, d, e, f))</c>: output pixel (x, y) samples the source at
    /// (a x' + b y' + c, d x' + e y' + f) with x' = x + 0.5, y' = y + 0.5 (pixel centres); points outside get
    /// <paramref name="fill"/>. Nearest takes the pixel containing the point (PIL-exact); bilinear interpolates the
    /// four nearest pixel centres (edge pixels clamped).
    /// </summary>
    /// <param name="image">The source.</param>
    /// <param name="matrix">(a, b, c, d, e, f), output to input coordinates.</param>
    /// <param name="bilinear">Bilinear instead of nearest.</param>
    /// <param name="fill">Colour for points outside the source.</param>
    public static RgbImage Affine(RgbImage image, (double A, double B, double C, double D, double E, double F) matrix,
        bool bilinear, (byte R, byte G, byte B) fill)
    {
        ArgumentNullException.ThrowIfNull(image);
        int w = image.Width, h = image.Height, stride = image.Stride;
        var result = new RgbImage(w, h);
        byte[] s = image.Pixels, d = result.Pixels;
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                double xo = x + 0.5, yo = y + 0.5;
                double xi = (matrix.A * xo) + (matrix.B * yo) + matrix.C;
                double yi = (matrix.D * xo) + (matrix.E * yo) + matrix.F;
                int o = (y * stride) + (3 * x);
                if (xi < 0 || yi < 0 || xi >= w || yi >= h)
                {
                    d[o] = fill.R;
                    d[o + 1] = fill.G;
                    d[o + 2] = fill.B;
                    continue;
                }

                if (!bilinear)
                {
                    int si = ((int)yi * stride) + (3 * (int)xi);
                    d[o] = s[si];
                    d[o + 1] = s[si + 1];
                    d[o + 2] = s[si + 2];
                    continue;
                }

                double fx = xi - 0.5, fy = yi - 0.5;
                int x0 = (int)Math.Floor(fx), y0 = (int)Math.Floor(fy);
                double dx = fx - x0, dy = fy - y0;
                int xa = Math.Clamp(x0, 0, w - 1), xb = Math.Clamp(x0 + 1, 0, w - 1);
                int ya = Math.Clamp(y0, 0, h - 1), yb = Math.Clamp(y0 + 1, 0, h - 1);
                for (int c = 0; c < 3; c++)
                {
                    double top = (s[(ya * stride) + (3 * xa) + c] * (1 - dx)) + (s[(ya * stride) + (3 * xb) + c] * dx);
                    double bottom = (s[(yb * stride) + (3 * xa) + c] * (1 - dx)) + (s[(yb * stride) + (3 * xb) + c] * dx);
                    d[o + c] = (byte)Math.Clamp((int)((top * (1 - dy)) + (bottom * dy) + 0.5), 0, 255);
                }
            }
        }

        return result;
    }

    /// <summary>PIL's <c>Image.rotate(degrees, fillcolor=fill)</c> about the centre (counter-clockwise, same size).</summary>
    /// <param name="image">The source.</param>
    /// <param name="degrees">Angle, counter-clockwise.</param>
    /// <param name="bilinear">Bilinear instead of nearest.</param>
    /// <param name="fill">Colour for uncovered pixels.</param>
    public static RgbImage Rotate(RgbImage image, double degrees, bool bilinear, (byte R, byte G, byte B) fill)
    {
        ArgumentNullException.ThrowIfNull(image);
        double angle = -degrees * Math.PI / 180.0;
        double a = Math.Round(Math.Cos(angle), 15), b = Math.Round(Math.Sin(angle), 15);
        double d = Math.Round(-Math.Sin(angle), 15), e = Math.Round(Math.Cos(angle), 15);
        double cx = image.Width / 2.0, cy = image.Height / 2.0;
        double c = (a * -cx) + (b * -cy) + cx;
        double f = (d * -cx) + (e * -cy) + cy;
        return Affine(image, (a, b, c, d, e, f), bilinear, fill);
    }

    /// <summary>Mirror left-right (<c>ImageOps.mirror</c> / <c>hflip</c>).</summary>
    /// <param name="image">The source.</param>
    public static RgbImage FlipHorizontal(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var result = new RgbImage(image.Width, image.Height);
        int w = image.Width;
        for (int y = 0; y < image.Height; y++)
        {
            int row = y * image.Stride;
            for (int x = 0; x < w; x++)
            {
                int s = row + (3 * x), t = row + (3 * (w - 1 - x));
                result.Pixels[t] = image.Pixels[s];
                result.Pixels[t + 1] = image.Pixels[s + 1];
                result.Pixels[t + 2] = image.Pixels[s + 2];
            }
        }

        return result;
    }

    private static byte[] Lut(Func<int, int> f)
    {
        var lut = new byte[256];
        for (int i = 0; i < 256; i++)
        {
            lut[i] = (byte)Math.Clamp(f(i), 0, 255);
        }

        return lut;
    }

    private static RgbImage PerChannel(RgbImage image, Func<int[], byte[]> makeLut)
    {
        var luts = new byte[3][];
        byte[] s = image.Pixels;
        for (int c = 0; c < 3; c++)
        {
            var hist = new int[256];
            for (int i = c; i < s.Length; i += 3)
            {
                hist[s[i]]++;
            }

            luts[c] = makeLut(hist);
        }

        var result = new RgbImage(image.Width, image.Height);
        byte[] d = result.Pixels;
        for (int i = 0; i < s.Length; i += 3)
        {
            d[i] = luts[0][s[i]];
            d[i + 1] = luts[1][s[i + 1]];
            d[i + 2] = luts[2][s[i + 2]];
        }

        return result;
    }
}
