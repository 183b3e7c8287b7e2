using InceptionNeXt.ML.Imaging;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;

namespace InceptionNeXt.Tests.Imaging;

/// <summary>Decoded pixels against PIL's <c>ImageOps.exif_transpose(Image.open(p)).convert("RGB")</c>.</summary>
[TestClass]
public sealed class ImageDecoderParityTests
{
    private static TempDir? s_dir;

    /// <summary>Generates the fixtures once for the class.</summary>
    [ClassInitialize]
    public static void Init(TestContext context)
    {
        _ = context;
        if (!PythonRunner.HasPython)
        {
            return;
        }

        s_dir = new TempDir();
        try
        {
            PythonRunner.Run(ImagingFixtures.DecodeFixturesScript, s_dir.Path);
        }
        catch (InvalidOperationException)
        {
            s_dir.Dispose();
            s_dir = null;
        }
    }

    /// <summary>Deletes the fixtures.</summary>
    [ClassCleanup]
    public static void Cleanup() => s_dir?.Dispose();

    private static string Dir()
    {
        ImagingFixtures.RequirePil();
        Assert.IsNotNull(s_dir, "fixture generation failed");
        return s_dir.Path;
    }

    [TestMethod]
    [DataRow("rgb420.jpg")]
    [DataRow("rgb422.jpg")]
    [DataRow("rgb444.jpg")]
    [DataRow("progressive.jpg")]
    [DataRow("gray.jpg")]
    [DataRow("cmyk.jpg")]
    [DataRow("large.jpg")]
    [DataRow("orient1.jpg")]
    [DataRow("orient2.jpg")]
    [DataRow("orient3.jpg")]
    [DataRow("orient4.jpg")]
    [DataRow("orient5.jpg")]
    [DataRow("orient6.jpg")]
    [DataRow("orient7.jpg")]
    [DataRow("orient8.jpg")]
    [DataRow("orient8_motorola.jpg")]
    [DataRow("icc.jpg")]
    [DataRow("cmyk_noadobe.jpg")]
    [DataRow("restart.jpg")]
    [DataRow("orient6.png")]
    [DataRow("rgb.png")]
    [DataRow("rgba.png")]
    [DataRow("la.png")]
    [DataRow("l.png")]
    [DataRow("bilevel.png")]
    [DataRow("p.png")]
    [DataRow("p_trns.png")]
    [DataRow("p_rgba.png")]
    [DataRow("gamma1.png")]
    [DataRow("srgb.png")]
    [DataRow("iccp.png")]
    [DataRow("chrm.png")]
    [DataRow("rgb16.png")]
    [DataRow("rgb16_gamma.png")]
    [DataRow("gray16.png")]
    [DataRow("gray16_adam7.png")]
    [DataRow("gray16_all_values.png")]
    [DataRow("gray16_trns.png")]
    [DataRow("la16.png")]
    [DataRow("rgb16_adam7.png")]
    [DataRow("rgba16_exact.png")]
    [DataRow("rgba16.png")]
    public void DecodeEqualsPilExactly(string name)
    {
        string dir = Dir();
        ImagingFixtures.Entry entry = ImagingFixtures.ReadManifest(dir).Single(e => e.Name == name);
        byte[] expected = File.ReadAllBytes(Path.Combine(dir, name + ".rgb"));

        // JPEGs through each backend this machine has: SkiaSharp always, TurboJPEG where it loads (what Auto picks).
        var backends = new List<JpegBackend> { JpegBackend.Skia };
        if (name.EndsWith(".jpg", StringComparison.Ordinal) && ImageDecoder.TurboJpegAvailable)
        {
            backends.Add(JpegBackend.TurboJpeg);
        }

        foreach (JpegBackend backend in backends)
        {
            RgbImage image = new ImageDecoder { JpegBackend = backend }.Decode(Path.Combine(dir, name));
            Assert.AreEqual(entry.Width, image.Width, "width");
            Assert.AreEqual(entry.Height, image.Height, "height");
            int diff = ImagingFixtures.MaxAbsDiff(expected, image.Pixels);
            Console.WriteLine($"{name} ({backend}): max |diff| vs PIL = {diff}");
            Assert.AreEqual(0, diff, $"{name} ({backend}) differs from PIL");
        }
    }

    [TestMethod]
    public void JpegBackendsGiveIdenticalPixels()
    {
        string dir = Dir();
        ImageDecoder skia = ImagingFixtures.DecoderFor(JpegBackend.Skia);
        ImageDecoder turbo = ImagingFixtures.DecoderFor(JpegBackend.TurboJpeg);
        var jpegs = ImagingFixtures.ReadManifest(dir).Where(e => e.Name.EndsWith(".jpg", StringComparison.Ordinal)).ToList();
        Assert.IsGreaterThanOrEqualTo(15, jpegs.Count);
        foreach (ImagingFixtures.Entry entry in jpegs)
        {
            string path = Path.Combine(dir, entry.Name);
            RgbImage a = skia.Decode(path), b = turbo.Decode(path);
            Assert.AreEqual(a.Width, b.Width, entry.Name);
            Assert.AreEqual(a.Height, b.Height, entry.Name);
            CollectionAssert.AreEqual(b.Pixels, a.Pixels, entry.Name);
        }
    }

    [TestMethod]
    public void AutoPicksTurboJpegOnlyWhereItLoads()
    {
        Assert.AreEqual(JpegBackend.Auto, ImageDecoder.Default.JpegBackend);
        Assert.AreEqual(ImageDecoder.TurboJpegAvailable, JpegDecoder.UsesTurboJpeg(JpegBackend.Auto));
        Assert.IsFalse(JpegDecoder.UsesTurboJpeg(JpegBackend.Skia));
        Assert.IsTrue(JpegDecoder.UsesTurboJpeg(JpegBackend.TurboJpeg));
    }

    /// <summary>
    /// Every fixture, of every kind (CMYK, grey, progressive, palette, RGBA, 16-bit, relabelled 16-bit grey), cut at
    /// 24 points through its data: always "truncated", never an image (SkiaSharp would hand back filled rows).
    /// </summary>
    [TestMethod]
    public void TruncatedFixturesAreRefused()
    {
        string dir = Dir();
        foreach (ImagingFixtures.Entry entry in ImagingFixtures.ReadManifest(dir))
        {
            byte[] data = File.ReadAllBytes(Path.Combine(dir, entry.Name));
            bool png = entry.Name.EndsWith(".png", StringComparison.Ordinal);
            string kind = png ? "truncated PNG" : "truncated JPEG";

            // A PNG cut inside or after IEND decodes (every pixel is there), so PNG cuts stop before IEND.
            int end = png ? data.AsSpan().LastIndexOf("IEND"u8) - 4 : data.Length;
            var cuts = Enumerable.Range(1, 20).Select(k => (int)((long)end * k / 21)).Concat([end - 1, end - 2, end - 5, end - 9]).Where(n => n >= 8).Distinct();
            var backends = png || !ImageDecoder.TurboJpegAvailable ? new[] { JpegBackend.Skia } : new[] { JpegBackend.Skia, JpegBackend.TurboJpeg };
            foreach (JpegBackend backend in backends)
            {
                var decoder = new ImageDecoder { JpegBackend = backend };
                foreach (int n in cuts)
                {
                    byte[] cut = data[..n];
                    var e = Assert.ThrowsExactly<InvalidImageException>(() => decoder.Decode(cut, entry.Name), $"{entry.Name} cut at {n} of {data.Length} ({backend})");
                    StringAssert.Contains(e.Message, kind, $"{entry.Name} cut at {n} ({backend})");
                }
            }
        }
    }

    [TestMethod]
    public void FormatComesFromMagicBytesNotExtension()
    {
        string dir = Dir();
        string renamed = Path.Combine(dir, "actually-a-png.jpg");
        File.Copy(Path.Combine(dir, "rgb.png"), renamed, overwrite: true);
        RgbImage a = ImageDecoder.Default.Decode(renamed);
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(dir, "rgb.png.rgb")), a.Pixels);
    }

    [TestMethod]
    public void StreamAndSpanOverloadsAgreeWithPath()
    {
        string dir = Dir();
        foreach (string name in new[] { "rgb420.jpg", "orient6.jpg", "rgba.png" })
        {
            string path = Path.Combine(dir, name);
            byte[] expected = ImageDecoder.Default.Decode(path).Pixels;
            using (var fs = File.OpenRead(path))
            {
                CollectionAssert.AreEqual(expected, ImageDecoder.Default.Decode(fs, name).Pixels, name);
            }

            byte[] bytes = File.ReadAllBytes(path);
            using (var ms = new MemoryStream(bytes))
            {
                CollectionAssert.AreEqual(expected, ImageDecoder.Default.Decode(ms, name).Pixels, name);
            }

            CollectionAssert.AreEqual(expected, ImageDecoder.Default.Decode(bytes.AsSpan(), name).Pixels, name);
        }
    }

    [TestMethod]
    public void OrientationCanBeIgnored()
    {
        string dir = Dir();
        var decoder = new ImageDecoder { ApplyExifOrientation = false };
        RgbImage raw = decoder.Decode(Path.Combine(dir, "orient6.jpg"));
        Assert.AreEqual(97, raw.Width);
        Assert.AreEqual(61, raw.Height);
        CollectionAssert.AreEqual(File.ReadAllBytes(Path.Combine(dir, "orient1.jpg.rgb")), raw.Pixels);
    }

    [TestMethod]
    public void ConcurrentDecodingMatchesSequential()
    {
        string dir = Dir();
        string[] files = ImagingFixtures.ReadManifest(dir).Select(e => Path.Combine(dir, e.Name)).ToArray();
        Dictionary<string, byte[]> sequential = files.ToDictionary(f => f, f => ImageDecoder.Default.Decode(f).Pixels);
        var work = Enumerable.Range(0, 8).SelectMany(_ => files).ToArray();
        var results = new byte[work.Length][];
        Parallel.For(0, work.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => results[i] = ImageDecoder.Default.Decode(work[i]).Pixels);
        for (int i = 0; i < work.Length; i++)
        {
            CollectionAssert.AreEqual(sequential[work[i]], results[i], work[i]);
        }
    }
}
