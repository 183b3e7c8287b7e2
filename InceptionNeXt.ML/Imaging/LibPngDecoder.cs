using System.Buffers.Binary;
using static InceptionNeXt.ML.Imaging.LibPngNative;

namespace InceptionNeXt.ML.Imaging;

/// <summary>
/// The former PNG path, kept only until the SkiaSharp decoder is measured against it: libpng's simplified API, producing the pixels of PIL's <c>Image.open(p).convert("RGB")</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Alpha is dropped, not composited (PIL's RGBA/LA/P+tRNS to RGB conversion ignores alpha).</item>
/// <item>PIL ignores gAMA, sRGB, iCCP and cHRM for pixel values, while libpng's simplified API gamma-converts
/// from them; such chunks are renamed to an ignored private chunk (in a copy of the data) before libpng sees it.</item>
/// <item>16-bit RGB: the high byte of each sample, as PIL's "RGB;16B" unpacker. 16-bit grayscale: PIL opens it
/// as mode "I" and <c>convert("RGB")</c> clips values above 255 to 255; reproduced.</item>
/// <item>16-bit with alpha (RGBA, gray+alpha, or tRNS): libpng rescales to 8 bits with rounding where PIL
/// truncates, so these may differ from PIL by 1 level.</item>
/// <item>Data ending before the image data is complete is a "truncated PNG" error; a file missing only its
/// IEND chunk decodes, as it does with PIL.</item>
/// <item>Orientation comes from the eXIf chunk (PIL also honours "Raw profile type exif" text and XMP
/// tiff:Orientation in PNGs; those are not read here).</item>
/// </list>
/// </remarks>
internal static unsafe class LibPngDecoder
{
    private static ReadOnlySpan<byte> IgnoredChunkNames => "gAMAsRGBiCCPcHRM"u8;

    public static RgbImage Decode(ReadOnlySpan<byte> data, string name, long maxPixels, bool applyOrientation)
    {
        if (data.Length < 8 + 8 + 13 + 4)
        {
            throw InvalidImageException.Create(name, "truncated PNG (the data ends inside the IHDR header)");
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(data[8..]) != 13 || !data.Slice(12, 4).SequenceEqual("IHDR"u8))
        {
            throw InvalidImageException.Create(name, "corrupt PNG (the first chunk is not a 13-byte IHDR)");
        }

        uint declaredWidth = BinaryPrimitives.ReadUInt32BigEndian(data[16..]);
        uint declaredHeight = BinaryPrimitives.ReadUInt32BigEndian(data[20..]);
        int bitDepth = data[24];
        if (declaredWidth == 0 || declaredHeight == 0 || declaredWidth > int.MaxValue || declaredHeight > int.MaxValue)
        {
            throw InvalidImageException.Create(name, $"corrupt PNG (IHDR declares {declaredWidth}x{declaredHeight} pixels)");
        }

        ImageDecoder.CheckPixelLimit(name, "PNG", declaredWidth, declaredHeight, maxPixels);

        ChunkScan scan = ScanChunks(data);
        byte[]? patched = scan.HasIgnoredChunks ? NeutralizeColorChunks(data) : null;
        ReadOnlySpan<byte> input = patched ?? data;

        RgbImage image;
        fixed (byte* src = input)
        {
            image = DecodeWithLibPng(src, input.Length, name, bitDepth, scan);
        }

        if (applyOrientation && scan.ExifLength > 0)
        {
            ExifOrientation orientation = ExifReader.ReadOrientation(data.Slice(scan.ExifOffset, scan.ExifLength));
            image = ImageOrientation.Apply(image, orientation);
        }

        return image;
    }

    private static RgbImage DecodeWithLibPng(byte* src, int length, string name, int bitDepth, ChunkScan scan)
    {
        Api api = Functions;
        PngImage png = default;
        png.Version = PNG_IMAGE_VERSION;
        try
        {
            if (api.BeginReadFromMemory(&png, src, (nuint)length) == 0)
            {
                throw Failure(name, scan, "PNG header", png.Message);
            }

            int width = checked((int)png.Width), height = checked((int)png.Height);
            bool alpha = (png.Format & PNG_FORMAT_FLAG_ALPHA) != 0;
            bool color = (png.Format & PNG_FORMAT_FLAG_COLOR) != 0;
            if (bitDepth == 16 && !alpha)
            {
                // Linear output from data with no gamma information (stripped above) is the raw 16-bit samples.
                int channels = color ? 3 : 1;
                ushort[] wide = GC.AllocateUninitializedArray<ushort>(checked(width * height * channels));
                png.Format = color ? PNG_FORMAT_LINEAR_RGB : PNG_FORMAT_LINEAR_Y;
                png.Flags = 0;
                fixed (ushort* dst = wide)
                {
                    if (api.FinishRead(&png, null, dst, width * channels, null) == 0)
                    {
                        throw Failure(name, scan, "PNG data", png.Message);
                    }
                }

                return color ? HighBytes(wide, width, height) : ClippedGray(wide, width, height);
            }

            int outChannels = alpha ? 4 : 3;
            byte[] buffer = GC.AllocateUninitializedArray<byte>(checked(width * height * outChannels));
            png.Format = alpha ? PNG_FORMAT_RGBA : PNG_FORMAT_RGB;
            png.Flags = PNG_IMAGE_FLAG_16BIT_sRGB;
            fixed (byte* dst = buffer)
            {
                if (api.FinishRead(&png, null, dst, width * outChannels, null) == 0)
                {
                    throw Failure(name, scan, "PNG data", png.Message);
                }
            }

            return alpha ? DropAlpha(buffer, width, height) : new RgbImage(width, height, buffer);
        }
        finally
        {
            api.Free(&png);
        }
    }

    private static InvalidImageException Failure(string name, ChunkScan scan, string where, string message)
    {
        string detail = message.Length > 0 ? $"libpng: {message}" : "libpng failed";
        return scan.Truncated || !scan.SawIend
            ? InvalidImageException.Create(name, $"truncated PNG ({detail})")
            : InvalidImageException.Create(name, $"corrupt {where} ({detail})");
    }

    private static RgbImage DropAlpha(byte[] rgba, int width, int height)
    {
        var result = new RgbImage(width, height);
        fixed (byte* s0 = rgba)
        fixed (byte* d0 = result.Pixels)
        {
            long n = (long)width * height;
            byte* s = s0;
            byte* d = d0;
            for (long i = 0; i < n; i++, s += 4, d += 3)
            {
                d[0] = s[0];
                d[1] = s[1];
                d[2] = s[2];
            }
        }

        return result;
    }

    private static RgbImage HighBytes(ushort[] rgb16, int width, int height)
    {
        var result = new RgbImage(width, height);
        byte[] dst = result.Pixels;
        for (int i = 0; i < dst.Length; i++)
        {
            dst[i] = (byte)(rgb16[i] >> 8);
        }

        return result;
    }

    private static RgbImage ClippedGray(ushort[] gray16, int width, int height)
    {
        var result = new RgbImage(width, height);
        byte[] dst = result.Pixels;
        for (int i = 0, j = 0; i < gray16.Length; i++, j += 3)
        {
            byte v = (byte)Math.Min(gray16[i], (ushort)255);
            dst[j] = v;
            dst[j + 1] = v;
            dst[j + 2] = v;
        }

        return result;
    }

    /// <summary>What a walk over the chunk list found.</summary>
    private readonly record struct ChunkScan(bool Truncated, bool SawIend, bool HasIgnoredChunks, int ExifOffset, int ExifLength);

    private static ChunkScan ScanChunks(ReadOnlySpan<byte> data)
    {
        int pos = 8, exifOffset = 0, exifLength = 0;
        bool ignored = false;
        while (true)
        {
            if (pos + 12 > data.Length)
            {
                return new ChunkScan(true, false, ignored, exifOffset, exifLength);
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            ReadOnlySpan<byte> type = data.Slice(pos + 4, 4);
            if (length > int.MaxValue || pos + 12L + length > data.Length)
            {
                return new ChunkScan(true, false, ignored, exifOffset, exifLength);
            }

            if (type.SequenceEqual("IEND"u8))
            {
                return new ChunkScan(false, true, ignored, exifOffset, exifLength);
            }

            if (type.SequenceEqual("eXIf"u8) && exifLength == 0 && length > 0)
            {
                exifOffset = pos + 8;
                exifLength = (int)length;
            }

            ignored |= IsIgnored(type);
            pos += 12 + (int)length;
        }
    }

    private static bool IsIgnored(ReadOnlySpan<byte> type)
    {
        ReadOnlySpan<byte> names = IgnoredChunkNames;
        for (int i = 0; i < names.Length; i += 4)
        {
            if (type.SequenceEqual(names.Slice(i, 4)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A copy of <paramref name="data"/> where gAMA/sRGB/iCCP/cHRM chunks have their second letter lower-cased
    /// (e.g. "gaMA": a private ancillary chunk libpng skips) and their CRC recomputed.
    /// </summary>
    private static byte[] NeutralizeColorChunks(ReadOnlySpan<byte> data)
    {
        byte[] copy = data.ToArray();
        int pos = 8;
        while (pos + 12 <= copy.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(copy.AsSpan(pos));
            if (length > int.MaxValue || pos + 12L + length > copy.Length)
            {
                break;
            }

            Span<byte> type = copy.AsSpan(pos + 4, 4);
            if (type.SequenceEqual("IEND"u8))
            {
                break;
            }

            if (IsIgnored(type))
            {
                type[1] = (byte)(type[1] | 0x20);
                uint crc = Crc32.Compute(copy.AsSpan(pos + 4, 4 + (int)length));
                BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(pos + 8 + (int)length), crc);
            }

            pos += 12 + (int)length;
        }

        return copy;
    }
}
