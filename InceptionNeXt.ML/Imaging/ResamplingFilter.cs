namespace InceptionNeXt.ML.Imaging;

/// <summary>Resampling filters of PIL's <c>Image.resize</c> (convolution-based; PIL's NEAREST is not offered).</summary>
public enum ResamplingFilter
{
    /// <summary>PIL <c>Image.BICUBIC</c> (3): Keys cubic with a = -0.5, support 2 (timm's default for most models).</summary>
    Bicubic = 0,

    /// <summary>PIL <c>Image.BILINEAR</c> (2): triangle filter, support 1.</summary>
    Bilinear,

    /// <summary>PIL <c>Image.BOX</c> (4): box filter, support 0.5.</summary>
    Box,

    /// <summary>PIL <c>Image.HAMMING</c> (5): Hamming-windowed sinc, support 1.</summary>
    Hamming,

    /// <summary>PIL <c>Image.LANCZOS</c> (1): Lanczos-3, support 3.</summary>
    Lanczos,
}
