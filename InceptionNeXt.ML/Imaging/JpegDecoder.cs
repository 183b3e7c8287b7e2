using SkiaSharp;

namespace InceptionNeXt.ML.Imaging;

/// <summary>
/// JPEG decoding: the project's own marker scan (EXIF orientation, truncation inside the header), then the pixels
/// from SkiaSharp or, as an optional accelerator, the system's TurboJPEG (<see cref="JpegBackend"/>).
/// </summary>
/// <remarks>
/// Both backends are libjpeg-turbo underneath with the same settings as PIL (accurate integer IDCT, fancy
/// upsampling; CMYK read as Adobe-inverted), so they give PIL's pixels. Truncation: SKCodec reports
/// <see cref="SKCodecResult.IncompleteInput"/> when the data ends before the last row, including a file that only
/// lacks its EOI marker, and <see cref="SKCodecResult.InvalidInput"/> for a progressive file cut between scans;
/// both are "truncated JPEG" errors here (PIL: "image file is truncated"), never an image padded with grey.
/// </remarks>
internal static class JpegDecoder
{
    /// <summary>Decodes <paramref name="data"/> (which starts FF D8 FF) to upright RGB.</summary>
    public static RgbImage Decode(ReadOnlySpan<byte> data, string name, long maxPixels, bool applyOrientation, JpegBackend backend)
    {
        JpegLayout layout = JpegMarkers.Scan(data, name);
        RgbImage image = UsesTurboJpeg(backend)
            ? TurboJpegDecoder.Decode(data, name, maxPixels, layout)
            : DecodeWithSkia(data, name, maxPixels, layout);

        if (applyOrientation && layout.ExifLength > 0)
        {
            ExifOrientation orientation = ExifReader.ReadOrientation(data.Slice(layout.ExifOffset, layout.ExifLength));
            image = ImageOrientation.Apply(image, orientation);
        }

        return image;
    }

    /// <summary>Whether <paramref name="backend"/> resolves to TurboJPEG on this machine.</summary>
    public static bool UsesTurboJpeg(JpegBackend backend) => backend switch
    {
        JpegBackend.Skia => false,
        JpegBackend.TurboJpeg => true,
        _ => TurboJpegNative.IsAvailable,
    };

    private static RgbImage DecodeWithSkia(ReadOnlySpan<byte> data, string name, long maxPixels, JpegLayout layout)
    {
        SkiaDecodeResult result = SkiaCodecDecoder.Decode(data, name, "JPEG", maxPixels, RgbaRepack.DropAlpha);
        if (result.Image is { } image)
        {
            return image;
        }

        string detail = $"SkiaSharp: {result.Status}";
        if (result.Status == SKCodecResult.IncompleteInput || !JpegMarkers.HasEoiAfter(data, layout.SosOffset))
        {
            throw InvalidImageException.Create(name, $"truncated JPEG ({detail})");
        }

        throw InvalidImageException.Create(name, result.InHeader ? $"corrupt JPEG header ({detail})" : $"corrupt JPEG data ({detail})");
    }
}
