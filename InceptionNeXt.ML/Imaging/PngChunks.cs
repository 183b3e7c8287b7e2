using System.Buffers.Binary;

namespace InceptionNeXt.ML.Imaging;

/// <summary>What a walk over a PNG's chunk list found.</summary>
/// <param name="Truncated">The data ends before the IEND chunk, inside a chunk or between two.</param>
/// <param name="EndsInsideImageData">The data ends inside an IDAT chunk (its data or its CRC).</param>
/// <param name="ExifOffset">Offset of the first eXIf chunk's data, or 0.</param>
/// <param name="ExifLength">Length of that data, or 0 when there is none.</param>
internal readonly record struct PngChunkScan(bool Truncated, bool EndsInsideImageData, int ExifOffset, int ExifLength);

/// <summary>The PNG chunk structure this project reads or rewrites itself, outside the pixel decoder.</summary>
internal static class PngChunks
{
    /// <summary>
    /// Walks the chunks after the signature to IEND. A chunk whose declared length is impossible stops the walk
    /// without calling the data truncated (the decoder then reports it as corrupt).
    /// </summary>
    public static PngChunkScan Scan(ReadOnlySpan<byte> data)
    {
        int pos = 8, exifOffset = 0, exifLength = 0;
        while (true)
        {
            if (pos + 8 > data.Length)
            {
                return new PngChunkScan(true, false, exifOffset, exifLength);
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            ReadOnlySpan<byte> type = data.Slice(pos + 4, 4);
            if (length > int.MaxValue)
            {
                return new PngChunkScan(false, false, exifOffset, exifLength);
            }

            if (pos + 12L + length > data.Length)
            {
                return new PngChunkScan(true, type.SequenceEqual("IDAT"u8), exifOffset, exifLength);
            }

            if (type.SequenceEqual("IEND"u8))
            {
                return new PngChunkScan(false, false, exifOffset, exifLength);
            }

            if (type.SequenceEqual("eXIf"u8) && exifLength == 0 && length > 0)
            {
                exifOffset = pos + 8;
                exifLength = (int)length;
            }

            pos += 12 + (int)length;
        }
    }

    /// <summary>
    /// A copy of a 16-bit greyscale PNG relabelled as 8-bit grey+alpha, so that a decoder which reduces 16-bit
    /// samples to their high byte hands back both bytes: the high byte as grey, the low byte as alpha.
    /// </summary>
    /// <remarks>
    /// Exact because both layouts have 2 bytes per pixel, so the scanlines have the same length and PNG's filters
    /// the same byte distance, for plain and Adam7-interlaced images alike: the unfiltered bytes are identical.
    /// The chunks whose layout depends on the colour type and that do not affect these pixels (tRNS, sBIT, bKGD)
    /// are renamed to private ancillary chunks that decoders skip; every changed chunk gets its CRC recomputed.
    /// </remarks>
    /// <param name="data">A PNG whose IHDR (checked by the caller) says bit depth 16, colour type 0.</param>
    public static byte[] RelabelGray16AsGrayAlpha(ReadOnlySpan<byte> data)
    {
        byte[] copy = data.ToArray();
        copy[24] = 8; // bit depth
        copy[25] = 4; // colour type: grey + alpha
        BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(29), Crc32.Compute(copy.AsSpan(12, 17)));

        int pos = 33;
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

            if (type.SequenceEqual("tRNS"u8) || type.SequenceEqual("sBIT"u8) || type.SequenceEqual("bKGD"u8))
            {
                type[1] = (byte)(type[1] | 0x20); // lower-case second letter: private, so skipped
                BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(pos + 8 + (int)length), Crc32.Compute(copy.AsSpan(pos + 4, 4 + (int)length)));
            }

            pos += 12 + (int)length;
        }

        return copy;
    }
}
