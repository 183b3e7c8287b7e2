namespace InceptionNeXt.ML.Imaging;

/// <summary>
/// Which library <see cref="ImageDecoder"/> decodes JPEG files with. Both give the same pixels (PIL's, for the
/// JPEGs tested: baseline, progressive, CMYK, grey, restart markers); they differ in speed and in what they need.
/// </summary>
public enum JpegBackend
{
    /// <summary>
    /// TurboJPEG when libturbojpeg can be loaded on this machine (about 1.7x as fast on x64, where SkiaSharp's
    /// JPEG decoder has no SIMD), otherwise SkiaSharp. The default.
    /// </summary>
    Auto = 0,

    /// <summary>SkiaSharp's JPEG decoder, which ships with the SkiaSharp NuGet packages: nothing to install.</summary>
    Skia,

    /// <summary>
    /// libjpeg-turbo's TurboJPEG API from the system (Debian/Ubuntu: <c>libturbojpeg0</c>; macOS: Homebrew
    /// <c>jpeg-turbo</c>; Windows: <c>turbojpeg.dll</c> on PATH). Decoding throws <see cref="DllNotFoundException"/>
    /// when it cannot be loaded.
    /// </summary>
    TurboJpeg,
}
