namespace InceptionNeXt.ML.Imaging;

/// <summary>How <see cref="SkiaCodecDecoder"/> turns Skia's RGBA8888 output into RGB.</summary>
internal enum RgbaRepack
{
    /// <summary>Keep R, G, B and drop alpha (PIL's <c>convert("RGB")</c> ignores alpha rather than compositing it).</summary>
    DropAlpha,

    /// <summary>
    /// The file was a 16-bit grey PNG relabelled as 8-bit grey+alpha (<see cref="PngChunks.RelabelGray16AsGrayAlpha"/>):
    /// R holds each sample's high byte and A its low byte; the output is <c>min(R * 256 + A, 255)</c>, PIL's mode
    /// "I" to "RGB" conversion.
    /// </summary>
    Gray16Clipped,
}
