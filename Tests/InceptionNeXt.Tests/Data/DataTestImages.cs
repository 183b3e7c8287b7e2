using System.IO.Compression;
using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.Tests.Data;

/// <summary>Test images: a deterministic RGB pattern and a minimal PNG writer.</summary>
internal static class DataTestImages
{
    public static RgbImage Pattern(int width, int height, int seed = 1)
    {
        var img = new RgbImage(width, height);
        var rng = new Random(seed);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int o = (y * width + x) * 3;
                img.Pixels[o] = (byte)(x * 255 / Math.Max(1, width - 1));
                img.Pixels[o + 1] = (byte)(y * 255 / Math.Max(1, height - 1));
                img.Pixels[o + 2] = (byte)rng.Next(256);
            }
        }

        return img;
    }

    public static byte[] Png(RgbImage image)
    {
        using var raw = new MemoryStream();
        for (int y = 0; y < image.Height; y++)
        {
            raw.WriteByte(0);
            raw.Write(image.Pixels, y * image.Stride, image.Stride);
        }

        using var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Fastest, leaveOpen: true))
        {
            raw.Position = 0;
            raw.CopyTo(zs);
        }

        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        WriteBE(ihdr, 0, image.Width);
        WriteBE(ihdr, 4, image.Height);
        ihdr[8] = 8;
        ihdr[9] = 2;
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", z.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    public static void WritePng(string path, RgbImage image)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, Png(image));
    }

    public static string TempDir(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "inx-data-tests", name + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        var len = new byte[4];
        WriteBE(len, 0, data.Length);
        s.Write(len);
        byte[] typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        s.Write(typeBytes);
        s.Write(data);
        uint crc = Crc(typeBytes.Concat(data).ToArray());
        var c = new byte[4];
        WriteBE(c, 0, (int)crc);
        s.Write(c);
    }

    private static void WriteBE(byte[] b, int o, int v)
    {
        b[o] = (byte)(v >> 24);
        b[o + 1] = (byte)(v >> 16);
        b[o + 2] = (byte)(v >> 8);
        b[o + 3] = (byte)v;
    }

    private static uint Crc(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
