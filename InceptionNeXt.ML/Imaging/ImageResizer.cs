using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace InceptionNeXt.ML.Imaging;

/// <summary>
/// Resizing that reproduces PIL 9.x's <c>Image.resize(size, filter, box)</c> for 8-bit RGB bit for bit
/// (PIL's <c>ImagingResample</c>): a horizontal pass then a vertical pass; the filter support widens by the
/// downscale factor (antialiasing); per-output-pixel weights are normalised to sum 1, then quantised to
/// 22-bit fixed point; the intermediate image is stored as clipped, rounded bytes.
/// </summary>
public static class ImageResizer
{
    /// <summary>Fixed-point fraction bits of the weights (PIL's PRECISION_BITS = 32 - 8 - 2).</summary>
    private const int PrecisionBits = 32 - 8 - 2;

    private const int Half = 1 << (PrecisionBits - 1);

    /// <summary>Resizes the whole image to <paramref name="width"/> x <paramref name="height"/>.</summary>
    /// <param name="image">The source.</param>
    /// <param name="width">Output width, at least 1.</param>
    /// <param name="height">Output height, at least 1.</param>
    /// <param name="filter">The resampling filter.</param>
    public static RgbImage Resize(RgbImage image, int width, int height, ResamplingFilter filter = ResamplingFilter.Bicubic)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Resize(image, width, height, filter, ResizeBox.Full(image.Width, image.Height));
    }

    /// <summary>Resizes the region <paramref name="box"/> of the image to <paramref name="width"/> x <paramref name="height"/>.</summary>
    /// <param name="image">The source.</param>
    /// <param name="width">Output width, at least 1.</param>
    /// <param name="height">Output height, at least 1.</param>
    /// <param name="filter">The resampling filter.</param>
    /// <param name="box">The source region; must lie inside the image and not be inverted (as PIL requires).</param>
    public static RgbImage Resize(RgbImage image, int width, int height, ResamplingFilter filter, ResizeBox box)
    {
        ArgumentNullException.ThrowIfNull(image);
        var result = new RgbImage(width, height);
        ResizeWindow(image, width, height, filter, box, 0, 0, width, height, result.Pixels);
        return result;
    }

    /// <summary>
    /// Computes only the output pixels [<paramref name="windowX"/>, +<paramref name="windowWidth"/>) x
    /// [<paramref name="windowY"/>, +<paramref name="windowHeight"/>) of a resize to <paramref name="width"/> x
    /// <paramref name="height"/>; they equal the same pixels of the full resize (e.g. a resize followed by a crop),
    /// at the cost of the window only.
    /// </summary>
    /// <param name="image">The source.</param>
    /// <param name="width">Full output width.</param>
    /// <param name="height">Full output height.</param>
    /// <param name="filter">The resampling filter.</param>
    /// <param name="box">The source region (see <see cref="Resize(RgbImage, int, int, ResamplingFilter, ResizeBox)"/>).</param>
    /// <param name="windowX">First output column computed.</param>
    /// <param name="windowY">First output row computed.</param>
    /// <param name="windowWidth">Columns computed.</param>
    /// <param name="windowHeight">Rows computed.</param>
    /// <param name="destination">Receives windowWidth * windowHeight interleaved RGB pixels, row-major.</param>
    public static unsafe void ResizeWindow(
        RgbImage image, int width, int height, ResamplingFilter filter, ResizeBox box,
        int windowX, int windowY, int windowWidth, int windowHeight, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (box.Left < 0 || box.Top < 0 || box.Right > image.Width || box.Bottom > image.Height)
        {
            throw new ArgumentOutOfRangeException(nameof(box), box, "Box can't exceed original image size.");
        }

        if (box.Right - box.Left < 0 || box.Bottom - box.Top < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(box), box, "Box can't be empty.");
        }

        if (windowX < 0 || windowY < 0 || windowWidth < 1 || windowHeight < 1
            || windowX + windowWidth > width || windowY + windowHeight > height)
        {
            throw new ArgumentOutOfRangeException(nameof(windowX), "The window must lie inside the output.");
        }

        int rowBytes = windowWidth * 3;
        if (destination.Length < (long)rowBytes * windowHeight)
        {
            throw new ArgumentException($"Destination needs {(long)rowBytes * windowHeight} bytes.", nameof(destination));
        }

        // PIL: need_horizontal = xsize != imIn->xsize || box[0] || box[2] != xsize (likewise vertical).
        bool needHorizontal = width != image.Width || box.Left != 0 || box.Right != width;
        bool needVertical = height != image.Height || box.Top != 0 || box.Bottom != height;

        Coefficients vertical = needVertical ? Coefficients.Compute(image.Height, box.Top, box.Bottom, height, filter, windowY, windowHeight) : default;
        int firstRow, rowCount;
        if (needVertical)
        {
            firstRow = int.MaxValue;
            int last = 0;
            for (int i = 0; i < windowHeight; i++)
            {
                firstRow = Math.Min(firstRow, vertical.Bounds[2 * i]);
                last = Math.Max(last, vertical.Bounds[2 * i] + vertical.Bounds[(2 * i) + 1]);
            }

            rowCount = last - firstRow;
        }
        else
        {
            firstRow = windowY;
            rowCount = windowHeight;
        }

        byte[]? rented = null;
        try
        {
            fixed (byte* src = image.Pixels)
            fixed (byte* dst = destination)
            {
                // The rows the vertical pass reads: either the horizontal pass's output or the source itself.
                byte* rows;
                int rowsStride;
                if (needHorizontal)
                {
                    Coefficients horizontal = Coefficients.Compute(image.Width, box.Left, box.Right, width, filter, windowX, windowWidth);
                    if (needVertical)
                    {
                        rented = ArrayPool<byte>.Shared.Rent(Math.Max(1, rowCount * rowBytes));
                        fixed (byte* tmp = rented)
                        {
                            HorizontalPass(src, image.Stride, firstRow, rowCount, horizontal, tmp, rowBytes, src + image.Pixels.Length);
                            VerticalPass(tmp, rowBytes, firstRow, vertical, windowHeight, dst, rowBytes);
                        }

                        return;
                    }

                    HorizontalPass(src, image.Stride, firstRow, rowCount, horizontal, dst, rowBytes, src + image.Pixels.Length);
                    return;
                }

                rows = src + (windowX * 3);
                rowsStride = image.Stride;
                if (needVertical)
                {
                    VerticalPass(rows, rowsStride, 0, vertical, windowHeight, dst, rowBytes);
                    return;
                }

                for (int y = 0; y < windowHeight; y++)
                {
                    new ReadOnlySpan<byte>(rows + ((long)(windowY + y) * rowsStride), rowBytes).CopyTo(new Span<byte>(dst + ((long)y * rowBytes), rowBytes));
                }
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void HorizontalPass(byte* src, int srcStride, int firstRow, int rowCount, in Coefficients c, byte* dst, int dstStride, byte* srcLimit)
    {
        int count = c.Count, ksize = c.KernelSize;
        fixed (int* bounds = c.Bounds)
        fixed (int* weights = c.Weights)
        {
            for (int r = 0; r < rowCount; r++)
            {
                byte* inRow = src + ((long)(firstRow + r) * srcStride);
                byte* o = dst + ((long)r * dstStride);
                if (Sse41.IsSupported)
                {
                    // One 4-lane multiply-add per tap: lanes R, G, B and the next pixel's R (ignored). The 4-byte
                    // load may not pass the end of the source buffer, so the last pixel falls back to scalar.
                    for (int xx = 0; xx < count; xx++, o += 3)
                    {
                        byte* p = inRow + (bounds[2 * xx] * 3);
                        int n = bounds[(2 * xx) + 1];
                        int* k = weights + (xx * ksize);
                        Vector128<int> acc = Vector128.Create(Half);
                        int x = 0;
                        for (; x < n && p + 4 <= srcLimit; x++, p += 3)
                        {
                            acc = Sse2.Add(acc, Sse41.MultiplyLow(Sse41.ConvertToVector128Int32(p), Vector128.Create(k[x])));
                        }

                        int s0 = acc.GetElement(0), s1 = acc.GetElement(1), s2 = acc.GetElement(2);
                        for (; x < n; x++, p += 3)
                        {
                            int w = k[x];
                            s0 += p[0] * w;
                            s1 += p[1] * w;
                            s2 += p[2] * w;
                        }

                        o[0] = Clip8(s0);
                        o[1] = Clip8(s1);
                        o[2] = Clip8(s2);
                    }

                    continue;
                }

                for (int xx = 0; xx < count; xx++, o += 3)
                {
                    byte* p = inRow + (bounds[2 * xx] * 3);
                    int n = bounds[(2 * xx) + 1];
                    int* k = weights + (xx * ksize);
                    int s0 = Half, s1 = Half, s2 = Half;
                    for (int x = 0; x < n; x++, p += 3)
                    {
                        int w = k[x];
                        s0 += p[0] * w;
                        s1 += p[1] * w;
                        s2 += p[2] * w;
                    }

                    o[0] = Clip8(s0);
                    o[1] = Clip8(s1);
                    o[2] = Clip8(s2);
                }
            }
        }
    }

    /// <summary>Vertical pass; <paramref name="rowOffset"/> is the source row that <paramref name="src"/> starts at.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void VerticalPass(byte* src, int srcStride, int rowOffset, in Coefficients c, int outRows, byte* dst, int rowBytes)
    {
        int ksize = c.KernelSize;
        int[] accumulator = ArrayPool<int>.Shared.Rent(rowBytes);
        try
        {
            fixed (int* bounds = c.Bounds)
            fixed (int* weights = c.Weights)
            fixed (int* acc = accumulator)
            {
                for (int yy = 0; yy < outRows; yy++)
                {
                    int ymin = bounds[2 * yy] - rowOffset;
                    int n = bounds[(2 * yy) + 1];
                    int* k = weights + (yy * ksize);
                    new Span<int>(acc, rowBytes).Fill(Half);
                    for (int y = 0; y < n; y++)
                    {
                        AccumulateRow(src + ((long)(ymin + y) * srcStride), k[y], acc, rowBytes);
                    }

                    byte* o = dst + ((long)yy * rowBytes);
                    for (int i = 0; i < rowBytes; i++)
                    {
                        o[i] = Clip8(acc[i]);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(accumulator);
        }
    }

    /// <summary><c>acc[i] += row[i] * weight</c> for <paramref name="length"/> bytes, 32 at a time where SIMD allows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AccumulateRow(byte* row, int weight, int* acc, int length)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<int> w = Vector256.Create(weight);
            for (; i <= length - 32; i += 32)
            {
                (Vector256<ushort> lo, Vector256<ushort> hi) = Vector256.Widen(Vector256.Load(row + i));
                (Vector256<uint> a0, Vector256<uint> a1) = Vector256.Widen(lo);
                (Vector256<uint> a2, Vector256<uint> a3) = Vector256.Widen(hi);
                int* p = acc + i;
                (Vector256.Load(p) + (a0.AsInt32() * w)).Store(p);
                (Vector256.Load(p + 8) + (a1.AsInt32() * w)).Store(p + 8);
                (Vector256.Load(p + 16) + (a2.AsInt32() * w)).Store(p + 16);
                (Vector256.Load(p + 24) + (a3.AsInt32() * w)).Store(p + 24);
            }
        }

        for (; i < length; i++)
        {
            acc[i] += row[i] * weight;
        }
    }

    private static byte Clip8(int v)
    {
        int s = v >> PrecisionBits;
        return s < 0 ? (byte)0 : s > 255 ? (byte)255 : (byte)s;
    }

    /// <summary>PIL's precompute_coeffs + normalize_coeffs_8bpc for output indices [first, first + count).</summary>
    private readonly struct Coefficients
    {
        private Coefficients(int[] bounds, int[] weights, int kernelSize, int count)
        {
            Bounds = bounds;
            Weights = weights;
            KernelSize = kernelSize;
            Count = count;
        }

        /// <summary>Pairs (first input index, number of taps) per output index.</summary>
        public int[] Bounds { get; }

        /// <summary><see cref="KernelSize"/> fixed-point weights per output index.</summary>
        public int[] Weights { get; }

        public int KernelSize { get; }

        public int Count { get; }

        public static Coefficients Compute(int inSize, float in0, float in1, int outSize, ResamplingFilter filter, int first, int count)
        {
            double support0 = filter switch
            {
                ResamplingFilter.Box => 0.5,
                ResamplingFilter.Bilinear => 1.0,
                ResamplingFilter.Hamming => 1.0,
                ResamplingFilter.Bicubic => 2.0,
                ResamplingFilter.Lanczos => 3.0,
                _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, null),
            };

            // in1 - in0 is computed in single precision, as in C with float operands.
            double scale = (double)(in1 - in0) / outSize;
            double filterScale = scale < 1.0 ? 1.0 : scale;
            double support = support0 * filterScale;
            int ksize = ((int)Math.Ceiling(support) * 2) + 1;
            if ((long)count * ksize > Array.MaxLength)
            {
                throw new ArgumentOutOfRangeException(nameof(outSize), "Resize kernel too large.");
            }

            var bounds = new int[count * 2];
            var weights = new int[count * ksize];
            var pre = new double[ksize];
            double ss = 1.0 / filterScale;
            for (int i = 0; i < count; i++)
            {
                int xx = first + i;
                double center = in0 + ((xx + 0.5) * scale);
                double ww = 0.0;
                int xmin = (int)(center - support + 0.5);
                if (xmin < 0)
                {
                    xmin = 0;
                }

                int xmax = (int)(center + support + 0.5);
                if (xmax > inSize)
                {
                    xmax = inSize;
                }

                xmax -= xmin;
                for (int x = 0; x < xmax; x++)
                {
                    double w = Filter(filter, (x + xmin - center + 0.5) * ss);
                    pre[x] = w;
                    ww += w;
                }

                Span<int> k = weights.AsSpan(i * ksize, ksize);
                for (int x = 0; x < xmax; x++)
                {
                    double v = ww != 0.0 ? pre[x] / ww : pre[x];
                    k[x] = v < 0 ? (int)(-0.5 + (v * (1 << PrecisionBits))) : (int)(0.5 + (v * (1 << PrecisionBits)));
                }

                bounds[2 * i] = xmin;
                bounds[(2 * i) + 1] = Math.Max(xmax, 0);
            }

            return new Coefficients(bounds, weights, ksize, count);
        }

        private static double Filter(ResamplingFilter filter, double x)
        {
            switch (filter)
            {
                case ResamplingFilter.Box:
                    return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
                case ResamplingFilter.Bilinear:
                    x = Math.Abs(x);
                    return x < 1.0 ? 1.0 - x : 0.0;
                case ResamplingFilter.Hamming:
                    x = Math.Abs(x);
                    if (x == 0.0)
                    {
                        return 1.0;
                    }

                    if (x >= 1.0)
                    {
                        return 0.0;
                    }

                    x *= Math.PI;
                    return Math.Sin(x) / x * (0.54f + (0.46f * Math.Cos(x)));
                case ResamplingFilter.Bicubic:
                    const double a = -0.5;
                    x = Math.Abs(x);
                    if (x < 1.0)
                    {
                        return ((((a + 2.0) * x) - (a + 3.0)) * x * x) + 1;
                    }

                    if (x < 2.0)
                    {
                        return ((((((x - 5) * x) + 8) * x) - 4) * a);
                    }

                    return 0.0;
                case ResamplingFilter.Lanczos:
                    return x >= -3.0 && x < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0;
                default:
                    throw new ArgumentOutOfRangeException(nameof(filter), filter, null);
            }
        }

        private static double Sinc(double x)
        {
            if (x == 0.0)
            {
                return 1.0;
            }

            x *= Math.PI;
            return Math.Sin(x) / x;
        }
    }
}
