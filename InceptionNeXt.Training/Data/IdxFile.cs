using System.Buffers.Binary;
using System.IO.Compression;

namespace InceptionNeXt.Training.Data;

/// <summary>
/// Reader of the IDX format of MNIST and Fashion-MNIST (unsigned-byte data only): magic <c>00 00 08 NN</c> with
/// NN the number of dimensions, then NN big-endian 32-bit sizes, then the data. Files may be gzip-compressed
/// (detected by content, not by name). Errors are <see cref="InvalidDataException"/> naming the file.
/// </summary>
public static class IdxFile
{
    /// <summary>Reads an IDX file; returns its dimensions and the raw bytes.</summary>
    /// <param name="path">The file, raw or gzip.</param>
    /// <param name="expectedDims">The required number of dimensions (3 for images, 1 for labels).</param>
    /// <exception cref="InvalidDataException">Bad magic, wrong dimension count, truncated or oversized data.</exception>
    public static (int[] Dims, byte[] Data) Read(string path, int expectedDims)
    {
        byte[] bytes = ReadAllBytesMaybeGzip(path);
        if (bytes.Length < 4)
        {
            throw new InvalidDataException($"{path}: truncated IDX file ({bytes.Length} bytes, no header).");
        }

        uint magic = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        uint expectedMagic = 0x00000800u | (uint)expectedDims;
        if (magic != expectedMagic)
        {
            throw new InvalidDataException(
                $"{path}: bad IDX magic 0x{magic:X8}, expected 0x{expectedMagic:X8} (unsigned bytes, {expectedDims} dimension(s)).");
        }

        int headerLength = 4 + (4 * expectedDims);
        if (bytes.Length < headerLength)
        {
            throw new InvalidDataException($"{path}: truncated IDX header ({bytes.Length} of {headerLength} bytes).");
        }

        var dims = new int[expectedDims];
        long total = 1;
        for (int d = 0; d < expectedDims; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + (4 * d)));
            if (size > int.MaxValue)
            {
                throw new InvalidDataException($"{path}: IDX dimension {d} is {size}, too large.");
            }

            dims[d] = (int)size;
            total *= size;
        }

        long available = bytes.Length - headerLength;
        if (available < total)
        {
            throw new InvalidDataException(
                $"{path}: truncated IDX data: header declares {string.Join("x", dims)} = {total} bytes, file holds {available}.");
        }

        if (available > total)
        {
            throw new InvalidDataException(
                $"{path}: IDX file has {available - total} bytes after the {string.Join("x", dims)} data the header declares.");
        }

        return (dims, bytes.AsSpan(headerLength).ToArray());
    }

    private static byte[] ReadAllBytesMaybeGzip(string path)
    {
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b)
        {
            return raw;
        }

        try
        {
            using var input = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var output = new MemoryStream();
            input.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: corrupt or truncated gzip stream ({e.Message}).", e);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{path}: truncated gzip stream.", e);
        }
    }
}
