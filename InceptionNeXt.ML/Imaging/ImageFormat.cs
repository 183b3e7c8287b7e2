namespace InceptionNeXt.ML.Imaging;

/// <summary>Container formats <see cref="ImageDecoder"/> understands, detected from the leading bytes.</summary>
public enum ImageFormat
{
    /// <summary>Neither JPEG nor PNG.</summary>
    Unknown = 0,

    /// <summary>JPEG / JFIF / EXIF (starts with FF D8 FF).</summary>
    Jpeg,

    /// <summary>PNG (starts with 89 50 4E 47 0D 0A 1A 0A).</summary>
    Png,
}

/// <summary>Format detection from magic bytes (the file name extension is never consulted).</summary>
public static class ImageFormatDetector
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Detects the format from the first bytes of <paramref name="data"/>.</summary>
    /// <param name="data">The file contents, or at least its first 8 bytes.</param>
    public static ImageFormat Detect(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        {
            return ImageFormat.Jpeg;
        }

        if (data.Length >= 8 && data[..8].SequenceEqual(PngSignature))
        {
            return ImageFormat.Png;
        }

        return ImageFormat.Unknown;
    }
}
