namespace InceptionNeXt.ML.Imaging;

/// <summary>
/// Decodes JPEG and PNG files to 8-bit RGB with the same pixels as PIL's
/// <c>ImageOps.exif_transpose(Image.open(p)).convert("RGB")</c> (what timm's loaders feed to training).
/// The format comes from the magic bytes, never the file extension. Immutable and safe to share across threads.
/// </summary>
/// <remarks>
/// PNG goes through SkiaSharp (its native library ships in the NuGet packages: nothing to install). JPEG goes through
/// SkiaSharp too, or through the system's libjpeg-turbo (TurboJPEG API) where it can be loaded, about 1.7x as fast
/// on x64; <see cref="JpegBackend"/> chooses, and both give the same pixels. EXIF orientation is read by this
/// project (from JPEG APP1 and PNG eXIf), since neither library applies it. Every failure of the input (empty,
/// truncated, corrupt, another format, too many pixels) is an <see cref="InvalidImageException"/> whose message
/// starts with the file name; a truncated file is always an error, never an image padded with filler; the pixel
/// limit is checked from the header before the pixel buffer is allocated.
/// </remarks>
public sealed class ImageDecoder
{
    /// <summary>PIL's default <c>Image.MAX_IMAGE_PIXELS</c> (1024 * 1024 * 1024 / 4 / 3): the default for <see cref="MaxPixels"/>.</summary>
    public const long DefaultMaxPixels = 89_478_485;

    /// <summary>A decoder with the default settings.</summary>
    public static ImageDecoder Default { get; } = new();

    /// <summary>
    /// The largest width * height accepted; larger images are refused from their header, before decoding.
    /// PIL warns above its limit and refuses above twice it; this decoder refuses above the limit.
    /// </summary>
    public long MaxPixels
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1L);
            field = value;
        }
    } = DefaultMaxPixels;

    /// <summary>Whether to apply the EXIF Orientation tag (as <c>ImageOps.exif_transpose</c>); default true.</summary>
    public bool ApplyExifOrientation { get; init; } = true;

    /// <summary>
    /// Which library decodes JPEG files: <see cref="JpegBackend.Auto"/> (the default) uses TurboJPEG where
    /// <see cref="TurboJpegAvailable"/>, otherwise SkiaSharp. PNG always goes through SkiaSharp.
    /// </summary>
    public JpegBackend JpegBackend
    {
        get;
        init
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown JPEG backend.");
            }

            field = value;
        }
    } = JpegBackend.Auto;

    /// <summary>Whether the system's libturbojpeg can be loaded (tried once per process), so that <see cref="JpegBackend.Auto"/> uses it.</summary>
    public static bool TurboJpegAvailable => TurboJpegNative.IsAvailable;

    /// <summary>Reads and decodes a file.</summary>
    /// <param name="path">The file; its name starts every error message.</param>
    /// <exception cref="InvalidImageException">The file is not a decodable JPEG or PNG, or is too large.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DllNotFoundException">A JPEG with <see cref="JpegBackend"/> set to <see cref="JpegBackend.TurboJpeg"/>, and libturbojpeg cannot be loaded.</exception>
    public RgbImage Decode(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] data = File.ReadAllBytes(path);
        return Decode(data, path);
    }

    /// <summary>Decodes an in-memory file.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="nameForErrors">A name to start error messages with (defaults to "image").</param>
    /// <exception cref="InvalidImageException">The data is not a decodable JPEG or PNG, or is too large.</exception>
    /// <exception cref="DllNotFoundException">A JPEG with <see cref="JpegBackend"/> set to <see cref="JpegBackend.TurboJpeg"/>, and libturbojpeg cannot be loaded.</exception>
    public RgbImage Decode(byte[] data, string? nameForErrors = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Decode(data.AsSpan(), nameForErrors);
    }

    /// <summary>Decodes an in-memory file.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="nameForErrors">A name to start error messages with (defaults to "image").</param>
    /// <exception cref="InvalidImageException">The data is not a decodable JPEG or PNG, or is too large.</exception>
    /// <exception cref="DllNotFoundException">A JPEG with <see cref="JpegBackend"/> set to <see cref="JpegBackend.TurboJpeg"/>, and libturbojpeg cannot be loaded.</exception>
    public RgbImage Decode(ReadOnlySpan<byte> data, string? nameForErrors = null)
    {
        string name = string.IsNullOrEmpty(nameForErrors) ? "image" : nameForErrors;
        if (data.IsEmpty)
        {
            throw InvalidImageException.Create(name, "empty file (0 bytes), not an image");
        }

        return ImageFormatDetector.Detect(data) switch
        {
            ImageFormat.Jpeg => JpegDecoder.Decode(data, name, MaxPixels, ApplyExifOrientation, JpegBackend),
            ImageFormat.Png => PngDecoder.Decode(data, name, MaxPixels, ApplyExifOrientation),
            _ => throw InvalidImageException.Create(name, $"not a JPEG or PNG image (starts with {Hex(data)})"),
        };
    }

    /// <summary>Reads <paramref name="stream"/> to its end and decodes it.</summary>
    /// <param name="stream">The file contents.</param>
    /// <param name="nameForErrors">A name to start error messages with (defaults to "stream").</param>
    /// <exception cref="InvalidImageException">The data is not a decodable JPEG or PNG, or is too large.</exception>
    /// <exception cref="DllNotFoundException">A JPEG with <see cref="JpegBackend"/> set to <see cref="JpegBackend.TurboJpeg"/>, and libturbojpeg cannot be loaded.</exception>
    public RgbImage Decode(Stream stream, string? nameForErrors = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        string name = string.IsNullOrEmpty(nameForErrors) ? "stream" : nameForErrors;
        if (stream is MemoryStream ms && ms.TryGetBuffer(out ArraySegment<byte> segment))
        {
            ReadOnlySpan<byte> rest = segment.AsSpan((int)ms.Position);
            ms.Position = ms.Length;
            return Decode(rest, name);
        }

        using var copy = stream.CanSeek ? new MemoryStream(checked((int)Math.Max(0, stream.Length - stream.Position))) : new MemoryStream();
        stream.CopyTo(copy);
        return Decode(copy.GetBuffer().AsSpan(0, (int)copy.Length), name);
    }

    /// <summary>Throws when <paramref name="width"/> * <paramref name="height"/> exceeds <paramref name="maxPixels"/>.</summary>
    internal static void CheckPixelLimit(string name, string format, long width, long height, long maxPixels)
    {
        if (width * height > maxPixels)
        {
            throw InvalidImageException.Create(
                name,
                $"{format} declares {width}x{height} pixels ({width * height:N0}), more than the limit of {maxPixels:N0} (ImageDecoder.MaxPixels); refusing to decode a possible decompression bomb");
        }
    }

    private static string Hex(ReadOnlySpan<byte> data)
        => Convert.ToHexString(data[..Math.Min(4, data.Length)]) is var h
            ? string.Join(' ', Enumerable.Range(0, h.Length / 2).Select(i => h.Substring(i * 2, 2)))
            : string.Empty;
}
