using System.Buffers.Binary;
using SkiaSharp;

namespace InceptionNeXt.ML.Imaging;

/// <summary>
/// PNG decoding through SkiaSharp, producing the pixels of PIL's <c>Image.open(p).convert("RGB")</c>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Alpha is dropped, not composited (PIL's RGBA/LA/P+tRNS to RGB conversion ignores alpha).</item>
/// <item>gAMA, sRGB, iCCP and cHRM do not change pixel values, as in PIL: Skia decodes into an image with no colour
/// space, which turns its colour management off.</item>
/// <item>16-bit RGB, RGBA and grey+alpha: the high byte of each sample, as PIL's ";16B" unpackers.</item>
/// <item>16-bit greyscale: PIL opens it as mode "I", and <c>convert("RGB")</c> clips values above 255 to 255
/// (a sample of 300 becomes 255; its high byte would be 1). Skia only gives the high byte, so such a file is
/// decoded relabelled as 8-bit grey+alpha (<see cref="PngChunks.RelabelGray16AsGrayAlpha"/>), which yields both
/// bytes, and clipped like PIL: one copy of the file, for these files only, buys exact parity.</item>
/// <item>Data ending before the image data is complete is a "truncated PNG" error: Skia reports rows it could
/// not decode, and since it stops reading once it has every row, data cut inside the last IDAT chunk (its zlib
/// checksum or CRC) is caught by the chunk scan, as PIL refuses it too. A file missing only its IEND chunk
/// decodes, as it does with PIL.</item>
/// <item>Orientation comes from the eXIf chunk, which Skia ignores (PIL also honours "Raw profile type exif" text
/// and XMP tiff:Orientation in PNGs; those are not read here).</item>
/// </list>
/// </remarks>
internal static class PngDecoder
{
    /// <summary>Decodes <paramref name="data"/> (which starts with the PNG signature) to upright RGB.</summary>
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
        if (declaredWidth == 0 || declaredHeight == 0 || declaredWidth > int.MaxValue || declaredHeight > int.MaxValue)
        {
            throw InvalidImageException.Create(name, $"corrupt PNG (IHDR declares {declaredWidth}x{declaredHeight} pixels)");
        }

        ImageDecoder.CheckPixelLimit(name, "PNG", declaredWidth, declaredHeight, maxPixels);

        PngChunkScan scan = PngChunks.Scan(data);
        bool gray16 = data[24] == 16 && data[25] == 0;
        SkiaDecodeResult result = gray16
            ? SkiaCodecDecoder.Decode(PngChunks.RelabelGray16AsGrayAlpha(data), name, "PNG", maxPixels, RgbaRepack.Gray16Clipped)
            : SkiaCodecDecoder.Decode(data, name, "PNG", maxPixels, RgbaRepack.DropAlpha);
        if (result.Image is not { } image)
        {
            string detail = $"SkiaSharp: {result.Status}";
            throw result.Status == SKCodecResult.IncompleteInput || scan.Truncated
                ? InvalidImageException.Create(name, $"truncated PNG ({detail})")
                : InvalidImageException.Create(name, result.InHeader ? $"corrupt PNG header ({detail})" : $"corrupt PNG data ({detail})");
        }

        if (scan.EndsInsideImageData)
        {
            throw InvalidImageException.Create(name, "truncated PNG (the data ends inside an IDAT chunk)");
        }

        if (applyOrientation && scan.ExifLength > 0)
        {
            ExifOrientation orientation = ExifReader.ReadOrientation(data.Slice(scan.ExifOffset, scan.ExifLength));
            image = ImageOrientation.Apply(image, orientation);
        }

        return image;
    }
}
