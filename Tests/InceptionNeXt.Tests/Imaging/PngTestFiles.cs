using System.Buffers.Binary;
using System.IO.Compression;

namespace InceptionNeXt.Tests.Imaging;

/// <summary>Builds small PNG files in memory (no PIL needed), for tests that shape a file byte by byte.</summary>
internal static class PngTestFiles
{
    /// <summary>A non-interlaced PNG whose rows (without filter bytes) are given; every row gets filter type 0.</summary>
    /// <param name="width">Width in pixels.</param>
    /// <param name="height">Height in pixels.</param>
    /// <param name="bitDepth">IHDR bit depth.</param>
    /// <param name="colorType">IHDR colour type (0 grey, 2 RGB, 4 grey+alpha, 6 RGBA).</param>
    /// <param name="rows">The packed samples of all rows, <c>height</c> equal parts.</param>
    public static byte[] Build(int width, int height, byte bitDepth, byte colorType, byte[] rows)
    {
        int stride = rows.Length / height;
        using var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            raw.Write(rows, y * stride, stride);
        }

        using var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(zs);
        }

        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = bitDepth;
        ihdr[9] = colorType;
        WriteChunk(png, "IHDR", ihdr);
        WriteChunk(png, "IDAT", z.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>An 8-bit RGB PNG with pixel (x, y) = (7x, 5y, x + y) (bytes, wrapping).</summary>
    public static byte[] Rgb8(int width, int height)
    {
        var rows = new byte[width * height * 3];
        for (int y = 0, i = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                rows[i++] = (byte)(x * 7);
                rows[i++] = (byte)(y * 5);
                rows[i++] = (byte)(x + y);
            }
        }

        return Build(width, height, 8, 2, rows);
    }

    /// <summary>Writes one chunk: length, type, data, CRC.</summary>
    public static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(len, (uint)data.Length);
        s.Write(len);
        byte[] typeAndData = [.. System.Text.Encoding.ASCII.GetBytes(type), .. data];
        s.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(len, Crc(typeAndData));
        s.Write(len);
    }

    /// <summary>The PNG/zlib CRC-32, written out here so the tests do not lean on the code under test.</summary>
    public static uint Crc(ReadOnlySpan<byte> data)
    {
        uint c = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            c ^= b;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
            }
        }

        return ~c;
    }
}
