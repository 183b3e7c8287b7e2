using System.Buffers.Binary;
using System.Diagnostics;
using InceptionNeXt.ML.Imaging;
using InceptionNeXt.Tests.Checkpoints;

namespace InceptionNeXt.Tests.Imaging;

/// <summary>Hostile and broken inputs: always <see cref="InvalidImageException"/>, quickly, never a crash or a huge allocation.</summary>
[TestClass]
public sealed class ImageDecoderInvalidInputTests
{
    private static InvalidImageException AssertInvalid(Action action, string name, params string[] fragments)
    {
        var e = Assert.ThrowsExactly<InvalidImageException>(action);
        StringAssert.StartsWith(e.Message, name);
        Assert.AreEqual(name, e.ImageName);
        foreach (string f in fragments)
        {
            StringAssert.Contains(e.Message, f);
        }

        Console.WriteLine(e.Message);
        return e;
    }

    /// <summary>A 16x16 baseline 4:2:0 JPEG (PIL, quality 75): mid-grey with a red square.</summary>
    private static byte[] SampleJpeg()
    {
        return Convert.FromBase64String(SampleJpegBase64);
    }

    private static byte[] SamplePng(int width, int height) => PngTestFiles.Rgb8(width, height);

    [TestMethod]
    [DataRow(JpegBackend.Skia)]
    [DataRow(JpegBackend.TurboJpeg)]
    public void SamplesAreValid(JpegBackend backend)
    {
        RgbImage j = ImagingFixtures.DecoderFor(backend).Decode(SampleJpeg(), "sample.jpg");
        Assert.AreEqual(16, j.Width);
        RgbImage p = ImageDecoder.Default.Decode(SamplePng(33, 17), "sample.png");
        Assert.AreEqual(32 * 7, p.GetPixel(32, 0).R);
        Assert.AreEqual(17, p.Height);
    }

    [TestMethod]
    public void ZeroByteFile()
    {
        using var tmp = new TempDir();
        string path = tmp.File("empty.jpg");
        File.WriteAllBytes(path, []);
        AssertInvalid(() => ImageDecoder.Default.Decode(path), path, "empty");
    }

    [TestMethod]
    public void OtherFormatsAreNamedByTheirFirstBytes()
    {
        AssertInvalid(() => ImageDecoder.Default.Decode("GIF89a\x01\x00\x01\x00"u8.ToArray(), "x.gif"), "x.gif", "not a JPEG or PNG image (starts with 47 49 46 38)");
        AssertInvalid(() => ImageDecoder.Default.Decode("BM\x3a\x00\x00\x00"u8.ToArray(), "x.bmp"), "x.bmp", "starts with 42 4D 3A 00");
        AssertInvalid(() => ImageDecoder.Default.Decode([0xFF, 0xD8], "two.jpg"), "two.jpg", "starts with FF D8");
    }

    [TestMethod]
    public void RandomBytes()
    {
        var rng = new Random(7);
        for (int i = 0; i < 50; i++)
        {
            byte[] data = new byte[rng.Next(1, 4096)];
            rng.NextBytes(data);
            AssertInvalid(() => ImageDecoder.Default.Decode(data, "random.bin"), "random.bin");
        }
    }

    [TestMethod]
    [DataRow(JpegBackend.Skia)]
    [DataRow(JpegBackend.TurboJpeg)]
    public void RandomBytesBehindValidSignatures(JpegBackend backend)
    {
        ImageDecoder decoder = ImagingFixtures.DecoderFor(backend);
        var rng = new Random(11);
        byte[] jpeg = SampleJpeg();
        byte[] png = SamplePng(20, 10);
        for (int i = 0; i < 200; i++)
        {
            byte[] data = (i % 2 == 0 ? jpeg : png).ToArray();
            int flips = rng.Next(1, 20);
            for (int f = 0; f < flips; f++)
            {
                data[rng.Next(3, data.Length)] = (byte)rng.Next(256);
            }

            try
            {
                _ = decoder.Decode(data, "fuzz");
            }
            catch (InvalidImageException e)
            {
                StringAssert.StartsWith(e.Message, "fuzz: ");
            }
        }
    }

    [TestMethod]
    [DataRow(JpegBackend.Skia)]
    [DataRow(JpegBackend.TurboJpeg)]
    public void TruncatedJpegAtEveryLength(JpegBackend backend)
    {
        // Down to a missing EOI marker, which PIL also reports as "image file is truncated".
        ImageDecoder decoder = ImagingFixtures.DecoderFor(backend);
        byte[] jpeg = SampleJpeg();
        for (int n = 3; n < jpeg.Length; n++)
        {
            byte[] cut = jpeg[..n];
            AssertInvalid(() => decoder.Decode(cut, "cut.jpg"), "cut.jpg", "truncated JPEG");
        }
    }

    [TestMethod]
    [DataRow(JpegBackend.Skia)]
    [DataRow(JpegBackend.TurboJpeg)]
    public void TruncatedProgressiveJpegAtEveryLength(JpegBackend backend)
    {
        // SkiaSharp reports a progressive file cut between scans as InvalidInput, not IncompleteInput: still "truncated".
        ImageDecoder decoder = ImagingFixtures.DecoderFor(backend);
        byte[] jpeg = Convert.FromBase64String(SampleProgressiveJpegBase64);
        Assert.AreEqual(16, decoder.Decode(jpeg, "p.jpg").Width);
        for (int n = 3; n < jpeg.Length; n++)
        {
            byte[] cut = jpeg[..n];
            AssertInvalid(() => decoder.Decode(cut, "p.jpg"), "p.jpg", "truncated JPEG");
        }
    }

    [TestMethod]
    public void TruncatedPngAtEveryLength()
    {
        byte[] png = SamplePng(40, 30);
        RgbImage whole = ImageDecoder.Default.Decode(png, "whole.png");
        int iend = png.Length - 12;
        for (int n = 8; n < iend; n++)
        {
            byte[] cut = png[..n];
            AssertInvalid(() => ImageDecoder.Default.Decode(cut, "cut.png"), "cut.png", "truncated PNG");
        }

        // Only the IEND chunk missing: every pixel is there; PIL accepts this, and so does the decoder.
        for (int n = iend; n < png.Length; n++)
        {
            CollectionAssert.AreEqual(whole.Pixels, ImageDecoder.Default.Decode(png[..n], "no-iend.png").Pixels);
        }
    }

    [TestMethod]
    public void CorruptPngDataSurfacesTheDecoderStatus()
    {
        // SkiaSharp gives a status, not libpng's message text; the complete file (IEND present) makes it "corrupt", not "truncated".
        byte[] png = SamplePng(40, 30);
        int idat = png.AsSpan().IndexOf("IDAT"u8);
        png[idat + 6] ^= 0xFF; // inside the zlib stream; the CRC no longer matches either
        AssertInvalid(() => ImageDecoder.Default.Decode(png, "bad.png"), "bad.png", "corrupt PNG data (SkiaSharp: ");
    }

    [TestMethod]
    public void CorruptJpegHeaderIsNotCalledTruncated()
    {
        // A complete file whose frame header is nonsense (0 components): corrupt for both backends.
        byte[] jpeg = SampleJpeg();
        int sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        jpeg[sof + 9] = 0;
        foreach (JpegBackend backend in new[] { JpegBackend.Skia, JpegBackend.TurboJpeg })
        {
            if (backend == JpegBackend.TurboJpeg && !ImageDecoder.TurboJpegAvailable)
            {
                continue;
            }

            var e = AssertInvalid(() => new ImageDecoder { JpegBackend = backend }.Decode(jpeg, "bad.jpg"), "bad.jpg", "corrupt JPEG");
            Assert.DoesNotContain("truncated", e.Message);
        }
    }

    [TestMethod]
    public void HugePngIsRefusedFromItsHeader()
    {
        byte[] png = SamplePng(8, 8);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(16), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(20), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), PngTestFiles.Crc(png.AsSpan(12, 17)));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        AssertInvalid(() => ImageDecoder.Default.Decode(png, "bomb.png"), "bomb.png", "declares 100000x100000 pixels", "more than the limit of 89,478,485");
        Assert.IsLessThan(1000, sw.ElapsedMilliseconds);
        Assert.IsLessThan(1_000_000L, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [TestMethod]
    [DataRow(JpegBackend.Skia)]
    [DataRow(JpegBackend.TurboJpeg)]
    public void HugeJpegIsRefusedFromItsHeader(JpegBackend backend)
    {
        ImageDecoder decoder = ImagingFixtures.DecoderFor(backend);
        byte[] jpeg = SampleJpeg();
        int sof = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xC0]);
        Assert.IsGreaterThan(0, sof);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 65_000); // height
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 65_000); // width
        long before = GC.GetAllocatedBytesForCurrentThread();
        var sw = Stopwatch.StartNew();
        AssertInvalid(() => decoder.Decode(jpeg, "bomb.jpg"), "bomb.jpg", "declares 65000x65000 pixels", "limit");
        Assert.IsLessThan(1000, sw.ElapsedMilliseconds);
        Assert.IsLessThan(1_000_000L, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [TestMethod]
    [DataRow(JpegBackend.Skia)]
    [DataRow(JpegBackend.TurboJpeg)]
    public void PixelLimitIsConfigurable(JpegBackend backend)
    {
        _ = ImagingFixtures.DecoderFor(backend);
        var strict = new ImageDecoder { MaxPixels = 100, JpegBackend = backend };
        AssertInvalid(() => strict.Decode(SamplePng(11, 10), "p.png"), "p.png", "declares 11x10 pixels", "limit of 100");
        AssertInvalid(() => strict.Decode(SampleJpeg(), "j.jpg"), "j.jpg", "declares 16x16 pixels");
        Assert.AreEqual(100, strict.Decode(SamplePng(10, 10)).Width * 10);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ImageDecoder { MaxPixels = 0 });
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new ImageDecoder { JpegBackend = (JpegBackend)42 });
    }

    [TestMethod]
    public void MissingFileIsNotAnImageError()
    {
        using var tmp = new TempDir();
        Assert.ThrowsExactly<FileNotFoundException>(() => ImageDecoder.Default.Decode(tmp.File("missing.jpg")));
    }

    private const string SampleJpegBase64 = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wAARCAAQABADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwClqGofYfL/AHW/fn+LGMY9vejT9Q+3eZ+62bMfxZznPt7Uahp/27y/3uzZn+HOc49/ajT9P+w+Z+9378fw4xjPv71y/v8A2/8Ac+Xb79z3P+Ev+y/+oj/t7+b/AMB+H+rn/9k=";

    private const string SampleProgressiveJpegBase64 = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wgARCAAQABADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAP/xAAVAQEBAAAAAAAAAAAAAAAAAAADBP/aAAwDAQACEAMQAAABgCu//8QAFhABAQEAAAAAAAAAAAAAAAAAAwAS/9oACAEBAAEFAkTEabkPcZ4v/8QAGxEAAAcBAAAAAAAAAAAAAAAAABQkMVFjgZH/2gAIAQMBAT8BSlbNnjD/xAAXEQADAQAAAAAAAAAAAAAAAAAAEiJh/9oACAECAQE/AbfD/8QAFhAAAwAAAAAAAAAAAAAAAAAAAAEh/9oACAEBAAY/AlBwVHT/xAAXEAADAQAAAAAAAAAAAAAAAAAAEVFh/9oACAEBAAE/IaR6Qi0hFhSPD//aAAwDAQACAAMAAAAQ8//EABYRAQEBAAAAAAAAAAAAAAAAAPAAMf/aAAgBAwEBPxAANv/EABkRAAEFAAAAAAAAAAAAAAAAAAARMVGR8P/aAAgBAgEBPxDdItz/xAAYEAACAwAAAAAAAAAAAAAAAAARYQBRcf/aAAgBAQABPxDQ9AAnMD2JKU0PYkNTA9AC3P/Z";
}
