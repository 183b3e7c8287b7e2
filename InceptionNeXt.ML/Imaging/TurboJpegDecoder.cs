using System.Runtime.InteropServices;
using static InceptionNeXt.ML.Imaging.TurboJpegNative;

namespace InceptionNeXt.ML.Imaging;

/// <summary>
/// JPEG decoding through the system's TurboJPEG library (the optional accelerator of <see cref="JpegBackend"/>) with
/// the settings PIL uses (accurate integer IDCT, fancy upsampling), so the pixels equal PIL's for the same
/// libjpeg-turbo. Thread-safe: every call creates and destroys its own handle. EXIF orientation is applied by the caller.
/// </summary>
/// <remarks>
/// Truncation policy: libjpeg only warns when the data ends early (it pads the image with grey). PIL raises
/// "image file is truncated" in that case, and so does this decoder: a warning counts as an error when libjpeg
/// reports "Premature end of JPEG file" or when no EOI marker follows the first scan. Other libjpeg warnings
/// (e.g. "Corrupt JPEG data: N extraneous bytes before marker") leave a fully decoded image; PIL accepts those
/// files, and so does this decoder.
/// </remarks>
internal static unsafe class TurboJpegDecoder
{
    /// <summary>Decodes <paramref name="data"/> (whose markers <paramref name="layout"/> describes) to RGB, upright as stored.</summary>
    /// <exception cref="DllNotFoundException">libturbojpeg cannot be loaded.</exception>
    public static RgbImage Decode(ReadOnlySpan<byte> data, string name, long maxPixels, JpegLayout layout)
    {
        Api api = Functions;
        nint handle = api.InitDecompress();
        if (handle == 0)
        {
            throw new OutOfMemoryException("tjInitDecompress failed.");
        }

        try
        {
            return DecodeWithHandle(api, handle, data, name, maxPixels, layout);
        }
        finally
        {
            api.Destroy(handle);
        }
    }

    private static RgbImage DecodeWithHandle(Api api, nint handle, ReadOnlySpan<byte> data, string name, long maxPixels, JpegLayout layout)
    {
        int width, height, subsamp, colorspace;
        fixed (byte* src = data)
        {
            if (api.DecompressHeader3(handle, src, new CULong((nuint)data.Length), &width, &height, &subsamp, &colorspace) != 0)
            {
                string message = ErrorString(handle);
                throw InvalidImageException.Create(
                    name,
                    message.Contains("Premature end", StringComparison.OrdinalIgnoreCase) ? $"truncated JPEG ({message})" : $"corrupt JPEG header ({message})");
            }
        }

        if (width <= 0 || height <= 0)
        {
            throw InvalidImageException.Create(name, $"JPEG declares an empty {width}x{height} image");
        }

        ImageDecoder.CheckPixelLimit(name, "JPEG", width, height, maxPixels);

        bool cmyk = colorspace is TJCS_CMYK or TJCS_YCCK;
        int channels = cmyk ? 4 : 3;
        long size = (long)width * height * channels;
        if (size > Array.MaxLength)
        {
            throw InvalidImageException.Create(name, $"JPEG of {width}x{height} pixels is too large to decode into one buffer");
        }

        byte[] buffer = GC.AllocateUninitializedArray<byte>((int)size);
        int rc;
        fixed (byte* src = data)
        fixed (byte* dst = buffer)
        {
            rc = api.Decompress2(handle, src, new CULong((nuint)data.Length), dst, width, width * channels, height,
                cmyk ? TJPF_CMYK : TJPF_RGB, TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS);
        }

        if (rc != 0)
        {
            string message = ErrorString(handle);
            bool warning = api.GetErrorCode(handle) == TJERR_WARNING;
            bool premature = message.Contains("Premature end", StringComparison.OrdinalIgnoreCase);
            if (premature || (warning && !JpegMarkers.HasEoiAfter(data, layout.SosOffset)))
            {
                throw InvalidImageException.Create(name, $"truncated JPEG ({message})");
            }

            if (!warning)
            {
                throw InvalidImageException.Create(name, $"corrupt JPEG data ({message})");
            }

            // A non-fatal warning with a complete image: accepted, as PIL does.
        }

        return cmyk ? CmykToRgb(buffer, width, height) : new RgbImage(width, height, buffer);
    }

    /// <summary>
    /// PIL's conversion for CMYK JPEGs: it reads them with rawmode "CMYK;I" (Adobe's inverted polarity,
    /// assumed for every CMYK JPEG), then <c>convert("RGB")</c> computes
    /// <c>R = clip(255 - K - MULDIV255(C, 255 - K))</c> with <c>MULDIV255(a, b) = ((a*b+128) + ((a*b+128) >> 8)) >> 8</c>.
    /// Skia computes <c>MULDIV255(stored C, stored K)</c>, which is the same number (MULDIV255 rounds a*b/255
    /// exactly, and a*b/255 is never halfway), so both backends agree on CMYK.
    /// </summary>
    private static RgbImage CmykToRgb(byte[] cmyk, int width, int height)
    {
        var result = new RgbImage(width, height);
        fixed (byte* srcBase = cmyk)
        fixed (byte* dstBase = result.Pixels)
        {
            long n = (long)width * height;
            byte* s = srcBase;
            byte* d = dstBase;
            for (long i = 0; i < n; i++, s += 4, d += 3)
            {
                int nk = s[3]; // 255 - K, where K = 255 - stored
                d[0] = Channel(255 - s[0], nk);
                d[1] = Channel(255 - s[1], nk);
                d[2] = Channel(255 - s[2], nk);
            }
        }

        return result;

        static byte Channel(int c, int nk)
        {
            int t = (c * nk) + 128;
            int v = nk - (((t >> 8) + t) >> 8);
            return (byte)Math.Clamp(v, 0, 255);
        }
    }
}
