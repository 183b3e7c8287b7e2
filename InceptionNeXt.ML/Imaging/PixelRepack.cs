using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace InceptionNeXt.ML.Imaging;

/// <summary>Repacks 4-byte RGBA pixels into 3-byte RGB (the hot loops after SkiaSharp's decode).</summary>
internal static unsafe class PixelRepack
{
    /// <summary>Copies R, G, B of each of <paramref name="pixels"/> RGBA pixels; alpha is dropped.</summary>
    /// <param name="rgba">At least <c>4 * pixels</c> bytes.</param>
    /// <param name="rgb">At least <c>3 * pixels</c> bytes.</param>
    /// <param name="pixels">How many pixels.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void RgbaToRgb(byte[] rgba, byte[] rgb, long pixels)
    {
        CheckLengths(rgba, rgb, pixels);
        fixed (byte* s0 = rgba)
        fixed (byte* d0 = rgb)
        {
            byte* s = s0;
            byte* d = d0;
            long i = 0;
            if (Vector128.IsHardwareAccelerated)
            {
                // Four pixels per step: one byte shuffle, one 16-byte store of which 12 bytes are kept (the next
                // store overwrites the rest), so the loop stops while 6 pixels (18 output bytes) remain.
                for (; i + 6 <= pixels; i += 4, s += 16, d += 12)
                {
                    Vector128<byte> v = Vector128.Load(s);
                    Vector128.Shuffle(v, Vector128.Create((byte)0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0xFF, 0xFF, 0xFF, 0xFF)).Store(d);
                }
            }

            for (; i < pixels; i++, s += 4, d += 3)
            {
                d[0] = s[0];
                d[1] = s[1];
                d[2] = s[2];
            }
        }
    }

    /// <summary>
    /// For grey+alpha pixels that carry a 16-bit grey sample as (high byte in R, G and B; low byte in A): writes
    /// <c>min(sample, 255)</c> to R, G and B, as PIL converts a 16-bit grey PNG (mode "I") to RGB.
    /// </summary>
    /// <param name="rgba">At least <c>4 * pixels</c> bytes.</param>
    /// <param name="rgb">At least <c>3 * pixels</c> bytes.</param>
    /// <param name="pixels">How many pixels.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void GrayAlphaAs16BitClipped(byte[] rgba, byte[] rgb, long pixels)
    {
        CheckLengths(rgba, rgb, pixels);
        fixed (byte* s0 = rgba)
        fixed (byte* d0 = rgb)
        {
            byte* s = s0;
            byte* d = d0;
            for (long i = 0; i < pixels; i++, s += 4, d += 3)
            {
                byte v = s[0] != 0 ? (byte)255 : s[3];
                d[0] = v;
                d[1] = v;
                d[2] = v;
            }
        }
    }

    private static void CheckLengths(byte[] rgba, byte[] rgb, long pixels)
    {
        if (pixels < 0 || rgba.LongLength < pixels * 4 || rgb.LongLength < pixels * 3)
        {
            throw new ArgumentOutOfRangeException(nameof(pixels), $"{pixels} pixels do not fit in {rgba.LongLength} RGBA / {rgb.LongLength} RGB bytes.");
        }
    }
}
