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
        ImagingFixtures.RequireNativeCodecs();
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
    [DataRow("rgb16.png")]
    [DataRow("rgb16_gamma.png")]
    [DataRow("gray16.png")]
    [DataRow("rgba16_exact.png")]
    public void DecodeEqualsPilExactly(string name)
    {
        string dir = Dir();
        ImagingFixtures.Entry entry = ImagingFixtures.ReadManifest(dir).Single(e => e.Name == name);
        RgbImage image = ImageDecoder.Default.Decode(Path.Combine(dir, name));
        Assert.AreEqual(entry.Width, image.Width, "width");
        Assert.AreEqual(entry.Height, image.Height, "height");
        byte[] expected = File.ReadAllBytes(Path.Combine(dir, name + ".rgb"));
        int diff = ImagingFixtures.MaxAbsDiff(expected, image.Pixels);
        Console.WriteLine($"{name}: max |diff| vs PIL = {diff}");
        Assert.AreEqual(0, diff, $"{name} differs from PIL");
    }

    /// <summary>16-bit PNG with alpha: libpng's simplified API rescales 16 to 8 bits with rounding, PIL truncates.</summary>
    [TestMethod]
    public void SixteenBitWithAlphaIsWithinOneLevelOfPil()
    {
        string dir = Dir();
        RgbImage image = ImageDecoder.Default.Decode(Path.Combine(dir, "rgba16.png"));
        int diff = ImagingFixtures.MaxAbsDiff(File.ReadAllBytes(Path.Combine(dir, "rgba16.png.rgb")), image.Pixels);
        Console.WriteLine($"rgba16.png: max |diff| vs PIL = {diff}");
        Assert.IsLessThanOrEqualTo(1, diff);
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
