namespace InceptionNeXt.ML.Imaging;

/// <summary>Applies an <see cref="ExifOrientation"/>, giving the same pixels as PIL's <c>ImageOps.exif_transpose</c>.</summary>
public static class ImageOrientation
{
    /// <summary>
    /// Returns the upright image: <paramref name="image"/> itself for <see cref="ExifOrientation.Normal"/>,
    /// otherwise a new, transformed image (width and height swap for orientations 5..8).
    /// </summary>
    /// <param name="image">The image as stored in the file.</param>
    /// <param name="orientation">The EXIF orientation of the file.</param>
    public static unsafe RgbImage Apply(RgbImage image, ExifOrientation orientation)
    {
        ArgumentNullException.ThrowIfNull(image);
        int w = image.Width, h = image.Height;

        // Source pixel index for output (ox, oy) is start + ox * dx + oy * dy.
        (int outW, int outH, long start, long dx, long dy) = orientation switch
        {
            ExifOrientation.Normal => (w, h, 0L, 1L, (long)w),
            ExifOrientation.FlipHorizontal => (w, h, w - 1L, -1L, (long)w),
            ExifOrientation.Rotate180 => (w, h, ((long)h - 1) * w + w - 1, -1L, -(long)w),
            ExifOrientation.FlipVertical => (w, h, ((long)h - 1) * w, 1L, -(long)w),
            ExifOrientation.Transpose => (h, w, 0L, (long)w, 1L),
            ExifOrientation.Rotate90Clockwise => (h, w, ((long)h - 1) * w, -(long)w, 1L),
            ExifOrientation.Transverse => (h, w, ((long)h - 1) * w + w - 1, -(long)w, -1L),
            ExifOrientation.Rotate90CounterClockwise => (h, w, w - 1L, (long)w, -1L),
            _ => throw new ArgumentOutOfRangeException(nameof(orientation), orientation, "EXIF orientation must be 1..8."),
        };

        if (orientation == ExifOrientation.Normal)
        {
            return image;
        }

        var result = new RgbImage(outW, outH);
        fixed (byte* srcBase = image.Pixels)
        fixed (byte* dstBase = result.Pixels)
        {
            byte* dst = dstBase;
            for (int oy = 0; oy < outH; oy++)
            {
                long s = start + oy * dy;
                for (int ox = 0; ox < outW; ox++, s += dx, dst += 3)
                {
                    byte* p = srcBase + s * 3;
                    dst[0] = p[0];
                    dst[1] = p[1];
                    dst[2] = p[2];
                }
            }
        }

        return result;
    }
}
