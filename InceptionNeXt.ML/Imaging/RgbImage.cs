namespace InceptionNeXt.ML.Imaging;

/// <summary>
/// A decoded 8-bit RGB image: <see cref="Width"/> x <see cref="Height"/> pixels stored row-major as interleaved
/// R, G, B bytes with no row padding (the layout of PIL's <c>np.asarray(image.convert("RGB"))</c>).
/// </summary>
public sealed class RgbImage
{
    /// <summary>Wraps an existing pixel buffer (not copied).</summary>
    /// <param name="width">Width in pixels, at least 1.</param>
    /// <param name="height">Height in pixels, at least 1.</param>
    /// <param name="pixels">Interleaved RGB bytes, exactly <c>width * height * 3</c> long.</param>
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if ((long)width * height * 3 != pixels.LongLength)
        {
            throw new ArgumentException($"Expected {(long)width * height * 3} bytes for {width}x{height} RGB, got {pixels.LongLength}.", nameof(pixels));
        }

        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Allocates a zero-filled (black) image.</summary>
    /// <param name="width">Width in pixels, at least 1.</param>
    /// <param name="height">Height in pixels, at least 1.</param>
    public RgbImage(int width, int height)
        : this(width, height, AllocatePixels(width, height))
    {
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The interleaved RGB bytes, row-major, <see cref="Stride"/> bytes per row.</summary>
    public byte[] Pixels { get; }

    /// <summary>Bytes per row (<c>Width * 3</c>).</summary>
    public int Stride => Width * 3;

    /// <summary>The bytes of row <paramref name="y"/>.</summary>
    /// <param name="y">Row index, 0 at the top.</param>
    public Span<byte> Row(int y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        return Pixels.AsSpan(y * Stride, Stride);
    }

    /// <summary>The pixel at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    /// <param name="x">Column, 0 at the left.</param>
    /// <param name="y">Row, 0 at the top.</param>
    public (byte R, byte G, byte B) GetPixel(int x, int y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(x);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, Width);
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        int i = (y * Width + x) * 3;
        return (Pixels[i], Pixels[i + 1], Pixels[i + 2]);
    }

    /// <summary>A deep copy.</summary>
    public RgbImage Clone() => new(Width, Height, (byte[])Pixels.Clone());

    /// <inheritdoc />
    public override string ToString() => $"RgbImage {Width}x{Height}";

    private static byte[] AllocatePixels(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        long n = (long)width * height * 3;
        if (n > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"{width}x{height} RGB does not fit in one array.");
        }

        return new byte[n];
    }
}
