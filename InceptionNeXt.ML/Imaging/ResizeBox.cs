namespace InceptionNeXt.ML.Imaging;

/// <summary>
/// The source region a resize reads, in source pixel coordinates (PIL's <c>box</c> argument of
/// <c>Image.resize</c>; fractional values allowed). Stored as single precision, like PIL's C code.
/// </summary>
/// <param name="Left">Left edge (x0).</param>
/// <param name="Top">Top edge (y0).</param>
/// <param name="Right">Right edge (x1), exclusive.</param>
/// <param name="Bottom">Bottom edge (y1), exclusive.</param>
public readonly record struct ResizeBox(float Left, float Top, float Right, float Bottom)
{
    /// <summary>The whole of a <paramref name="width"/> x <paramref name="height"/> image.</summary>
    /// <param name="width">Source width.</param>
    /// <param name="height">Source height.</param>
    public static ResizeBox Full(int width, int height) => new(0, 0, width, height);
}
