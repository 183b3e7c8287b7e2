using System.Buffers.Binary;
using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.Tests.Imaging;

/// <summary>
/// The documented choice for 16-bit greyscale PNGs: PIL's values (samples above 255 clip to 255), not the high byte
/// that SkiaSharp alone would give. Built byte by byte, so it runs without PIL.
/// </summary>
[TestClass]
public sealed class ImageDecoderGray16Tests
{
    private static readonly ushort[] Samples = [0, 1, 200, 255, 256, 300, 511, 4095, 32768, 65535];

    private static byte[] Gray16Png()
    {
        var rows = new byte[Samples.Length * 2];
        for (int i = 0; i < Samples.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(rows.AsSpan(i * 2), Samples[i]);
        }

        return PngTestFiles.Build(Samples.Length, 1, 16, 0, rows);
    }

    [TestMethod]
    public void SamplesAbove255ClipTo255LikePil()
    {
        RgbImage image = ImageDecoder.Default.Decode(Gray16Png(), "gray16.png");
        byte[] expected = Samples.SelectMany(v => Enumerable.Repeat((byte)Math.Min(v, (ushort)255), 3)).ToArray();
        CollectionAssert.AreEqual(expected, image.Pixels);

        // What the high byte would have been: a dark image instead of PIL's mostly white one.
        byte[] highBytes = Samples.SelectMany(v => Enumerable.Repeat((byte)(v >> 8), 3)).ToArray();
        CollectionAssert.AreNotEqual(highBytes, image.Pixels);
    }

    [TestMethod]
    public void SixteenBitRgbKeepsTheHighByteLikePil()
    {
        var rows = new byte[Samples.Length * 6];
        for (int i = 0; i < Samples.Length * 3; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(rows.AsSpan(i * 2), Samples[i % Samples.Length]);
        }

        RgbImage image = ImageDecoder.Default.Decode(PngTestFiles.Build(Samples.Length, 1, 16, 2, rows), "rgb16.png");
        byte[] expected = Enumerable.Range(0, Samples.Length * 3).Select(i => (byte)(Samples[i % Samples.Length] >> 8)).ToArray();
        CollectionAssert.AreEqual(expected, image.Pixels);
    }

    [TestMethod]
    public void TheRelabelledCopyLeavesTheCallersBytesAlone()
    {
        byte[] png = Gray16Png();
        byte[] before = png.ToArray();
        _ = ImageDecoder.Default.Decode(png, "gray16.png");
        CollectionAssert.AreEqual(before, png);
    }
}
