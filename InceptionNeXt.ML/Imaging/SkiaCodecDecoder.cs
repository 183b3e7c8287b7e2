using System.Buffers;
using SkiaSharp;

namespace InceptionNeXt.ML.Imaging;

/// <summary>What one <see cref="SkiaCodecDecoder.Decode"/> call gave: the image, or the status that stopped it.</summary>
/// <param name="Status">Skia's status; <see cref="SKCodecResult.Success"/> exactly when <paramref name="Image"/> is set.</param>
/// <param name="InHeader">Whether the failure came from reading the header (creating the codec) rather than the pixels.</param>
/// <param name="Image">The decoded image, or null on failure.</param>
internal readonly record struct SkiaDecodeResult(SKCodecResult Status, bool InHeader, RgbImage? Image);

/// <summary>
/// Decodes one JPEG or PNG file with SkiaSharp's <see cref="SKCodec"/> into RGBA8888, unpremultiplied and without a
/// colour space (so Skia applies no colour management: no ICC, gAMA, sRGB or cHRM conversion, as PIL), then repacks
/// it to RGB. Thread-safe: every call has its own codec.
/// </summary>
/// <remarks>
/// Any status other than success is returned, never thrown, so the format decoders can word the error (SKCodec
/// fills the rows it could not decode and reports <see cref="SKCodecResult.IncompleteInput"/>; those pixels are
/// discarded here). The pixel limit is checked from the codec's header before the pixel buffer is allocated.
/// </remarks>
internal static unsafe class SkiaCodecDecoder
{
    /// <summary>Decodes <paramref name="data"/>; throws <see cref="InvalidImageException"/> only for the pixel limit.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="name">The name that starts error messages.</param>
    /// <param name="format">"JPEG" or "PNG", for messages.</param>
    /// <param name="maxPixels">The largest width * height accepted.</param>
    /// <param name="repack">How RGBA becomes RGB.</param>
    public static SkiaDecodeResult Decode(ReadOnlySpan<byte> data, string name, string format, long maxPixels, RgbaRepack repack)
    {
        fixed (byte* src = data)
        {
            // SKData.Create(IntPtr, int) wraps the pinned bytes without a copy; all three objects are disposed
            // (codec first) before the pin ends.
            using SKData skData = SKData.Create((nint)src, data.Length);
            using var stream = new SKMemoryStream(skData);
            using SKCodec? codec = SKCodec.Create(stream, out SKCodecResult created);
            if (codec is null)
            {
                return new SkiaDecodeResult(created == SKCodecResult.Success ? SKCodecResult.InternalError : created, true, null);
            }

            int width = codec.Info.Width, height = codec.Info.Height;
            if (width <= 0 || height <= 0)
            {
                throw InvalidImageException.Create(name, $"{format} declares an empty {width}x{height} image");
            }

            ImageDecoder.CheckPixelLimit(name, format, width, height, maxPixels);
            long size = (long)width * height * 4;
            if (size > Array.MaxLength)
            {
                throw InvalidImageException.Create(name, $"{format} of {width}x{height} pixels is too large to decode into one buffer");
            }

            var target = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul, null);

            // The RGBA buffer only lives until the repack: pooled, so large decodes do not churn the large-object heap.
            byte[] rgba = ArrayPool<byte>.Shared.Rent((int)size);
            try
            {
                SKCodecResult status;
                fixed (byte* dst = rgba)
                {
                    status = codec.GetPixels(target, (nint)dst, width * 4, SKCodecOptions.Default);
                }

                if (status != SKCodecResult.Success)
                {
                    return new SkiaDecodeResult(status, false, null);
                }

                var image = new RgbImage(width, height, GC.AllocateUninitializedArray<byte>(checked(width * height * 3)));
                long pixels = (long)width * height;
                if (repack == RgbaRepack.Gray16Clipped)
                {
                    PixelRepack.GrayAlphaAs16BitClipped(rgba, image.Pixels, pixels);
                }
                else
                {
                    PixelRepack.RgbaToRgb(rgba, image.Pixels, pixels);
                }

                return new SkiaDecodeResult(SKCodecResult.Success, false, image);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(rgba);
            }
        }
    }
}
