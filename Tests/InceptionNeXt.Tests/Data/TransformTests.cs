using InceptionNeXt.ML.Imaging;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Data;

namespace InceptionNeXt.Tests.Data;

[TestClass]
public sealed class TransformTests
{
    [TestMethod]
    public void RandomResizedCropParamsFollowTimmRanges()
    {
        var rng = new Random(3);
        int fallbacks = 0;
        double minArea = 1, maxArea = 0;
        for (int i = 0; i < 5000; i++)
        {
            var (top, left, h, w) = RandomResizedCrop.GetParams(200, 100, (0.08, 1.0), (3.0 / 4, 4.0 / 3), rng);
            Assert.IsTrue(top >= 0 && left >= 0 && top + h <= 100 && left + w <= 200, $"{top} {left} {h} {w}");
            double area = (double)h * w / 20000;
            double ratio = (double)w / h;
            if (h == 100 && w == 133 && top == 0 && left == 33)
            {
                fallbacks++;
                continue;
            }

            minArea = Math.Min(minArea, area);
            maxArea = Math.Max(maxArea, area);
            Assert.IsTrue(ratio > 0.70 && ratio < 1.40, $"ratio {ratio}");
        }

        Assert.IsTrue(minArea < 0.09 && minArea > 0.07, $"min area {minArea}");
        Assert.IsTrue(maxArea <= 0.666 && maxArea > 0.55, $"max area {maxArea}");

        // A tiny scale range that can never fit: always the centre-crop fallback clamped to the max ratio.
        var fb = RandomResizedCrop.GetParams(200, 100, (5.0, 6.0), (3.0 / 4, 4.0 / 3), rng);
        Assert.AreEqual((0, 33, 100, 133), fb);
        var fbTall = RandomResizedCrop.GetParams(50, 200, (5.0, 6.0), (3.0 / 4, 4.0 / 3), rng);
        Assert.AreEqual((66, 0, 67, 50), fbTall);
        Assert.AreEqual((0, 0, 28, 28), RandomResizedCrop.GetParams(28, 28, (5.0, 6.0), (3.0 / 4, 4.0 / 3), rng));
    }

    [TestMethod]
    public void RandomResizedCropOutputSizesAndSmallImages()
    {
        var rng = new Random(1);
        var crop = new RandomResizedCrop(32, (0.35, 1.0), randomInterpolation: true);
        var fashion = DataTestImages.Pattern(28, 28);
        for (int i = 0; i < 200; i++)
        {
            RgbImage o = crop.Apply(fashion, rng);
            Assert.AreEqual(32, o.Width);
            Assert.AreEqual(32, o.Height);
        }

        Assert.AreEqual(224, new RandomResizedCrop(224).Apply(DataTestImages.Pattern(300, 180), rng).Width);
    }

    [TestMethod]
    public void CropThenResizeEqualsPil()
    {
        PythonRunner.RequirePython();
        var img = DataTestImages.Pattern(40, 30);
        string dir = DataTestImages.TempDir("crop");
        string rawPath = Path.Combine(dir, "img.raw");
        File.WriteAllBytes(rawPath, img.Pixels);
        var cropped = RandomResizedCrop.Crop(img, 5, 3, 20, 17);
        RgbImage mine = ImageResizer.Resize(cropped, 32, 32, ResamplingFilter.Bilinear);
        string hex = PythonRunner.Run("""
import sys
from PIL import Image
im = Image.frombytes('RGB', (40, 30), open(sys.argv[1], 'rb').read())
print(im.crop((5, 3, 25, 20)).resize((32, 32), Image.BILINEAR).tobytes().hex())
""", rawPath).Trim();
        CollectionAssert.AreEqual(Convert.FromHexString(hex), mine.Pixels);
    }

    [TestMethod]
    public void FlipMirrorsAndHappensAboutHalfTheTime()
    {
        var img = DataTestImages.Pattern(5, 3);
        RgbImage f = ImageOps.FlipHorizontal(img);
        Assert.AreEqual(img.GetPixel(0, 1), f.GetPixel(4, 1));
        Assert.AreEqual(img.GetPixel(3, 2), f.GetPixel(1, 2));

        var t = new TrainTransform(new TrainTransformOptions { ImageSize = 5, Scale = (1, 1), Ratio = (5.0 / 3, 5.0 / 3), ColorJitter = 0, Interpolation = ResamplingFilter.Bilinear });
        var wide = DataTestImages.Pattern(5, 5);
        int flipped = 0;
        for (int i = 0; i < 2000; i++)
        {
            var tt = new TrainTransform(new TrainTransformOptions { ImageSize = 5, Scale = (1, 1), Ratio = (1, 1), ColorJitter = 0, Interpolation = ResamplingFilter.Bilinear });
            RgbImage o = tt.ApplyToImage(wide, new Random(i));
            if (o.Pixels.AsSpan().SequenceEqual(wide.Pixels))
            {
                continue;
            }

            CollectionAssert.AreEqual(ImageOps.FlipHorizontal(wide).Pixels, o.Pixels);
            flipped++;
        }

        Assert.IsTrue(flipped is > 900 and < 1100, $"flipped {flipped}");
        Assert.AreEqual(5, t.OutputSize);
    }

    private static string RunPil(RgbImage img, string body)
    {
        string dir = DataTestImages.TempDir("pil");
        string rawPath = Path.Combine(dir, "img.raw");
        File.WriteAllBytes(rawPath, img.Pixels);
        return PythonRunner.Run($"""
import sys
from PIL import Image, ImageOps, ImageEnhance
im = Image.frombytes('RGB', ({img.Width}, {img.Height}), open(sys.argv[1], 'rb').read())
def out(x): print(x.tobytes().hex())
{body}
""", rawPath);
    }

    [TestMethod]
    public void PixelOpsAndEnhanceMatchPil()
    {
        PythonRunner.RequirePython();
        var img = DataTestImages.Pattern(23, 17, 9);
        var expected = new (string Python, Func<RgbImage> Mine)[]
        {
            ("out(ImageOps.invert(im))", () => ImageOps.Invert(img)),
            ("out(ImageOps.autocontrast(im))", () => ImageOps.AutoContrast(img)),
            ("out(ImageOps.equalize(im))", () => ImageOps.Equalize(img)),
            ("out(ImageOps.posterize(im, 3))", () => ImageOps.Posterize(img, 3)),
            ("out(ImageOps.solarize(im, 100))", () => ImageOps.Solarize(img, 100)),
            ("out(ImageEnhance.Brightness(im).enhance(1.37))", () => ImageOps.Brightness(img, 1.37)),
            ("out(ImageEnhance.Brightness(im).enhance(0.61))", () => ImageOps.Brightness(img, 0.61)),
            ("out(ImageEnhance.Contrast(im).enhance(1.4))", () => ImageOps.Contrast(img, 1.4)),
            ("out(ImageEnhance.Contrast(im).enhance(0.3))", () => ImageOps.Contrast(img, 0.3)),
            ("out(ImageEnhance.Color(im).enhance(1.6))", () => ImageOps.Color(img, 1.6)),
            ("out(ImageEnhance.Color(im).enhance(0.2))", () => ImageOps.Color(img, 0.2)),
            ("out(ImageEnhance.Sharpness(im).enhance(1.8))", () => ImageOps.Sharpness(img, 1.8)),
            ("out(ImageEnhance.Sharpness(im).enhance(0.1))", () => ImageOps.Sharpness(img, 0.1)),
            ("out(im.rotate(90, resample=Image.NEAREST, fillcolor=(128,128,128)))", () => ImageOps.Rotate(img, 90, false, (128, 128, 128))),
            ("out(im.rotate(-17.5, resample=Image.NEAREST, fillcolor=(124,116,104)))", () => ImageOps.Rotate(img, -17.5, false, (124, 116, 104))),
            ("out(im.transform(im.size, Image.AFFINE, (1, 0.21, 0, 0, 1, 0), resample=Image.NEAREST, fillcolor=(128,128,128)))", () => ImageOps.Affine(img, (1, 0.21, 0, 0, 1, 0), false, (128, 128, 128))),
            ("out(im.transform(im.size, Image.AFFINE, (1, 0, 0, -0.3, 1, 0), resample=Image.NEAREST, fillcolor=(128,128,128)))", () => ImageOps.Affine(img, (1, 0, 0, -0.3, 1, 0), false, (128, 128, 128))),
            ("out(im.transform(im.size, Image.AFFINE, (1, 0, -6.9, 0, 1, 0), resample=Image.NEAREST, fillcolor=(128,128,128)))", () => ImageOps.Affine(img, (1, 0, -6.9, 0, 1, 0), false, (128, 128, 128))),
        };
        string[] lines = RunPil(img, string.Join("\n", expected.Select(e => e.Python))).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var failures = new List<string>();
        for (int i = 0; i < expected.Length; i++)
        {
            byte[] want = Convert.FromHexString(lines[i].Trim());
            byte[] got = expected[i].Mine().Pixels;
            int maxDiff = want.Zip(got, (a, b) => Math.Abs(a - b)).Max();
            if (maxDiff != 0)
            {
                failures.Add($"{expected[i].Python}: max diff {maxDiff}");
            }
        }

        Assert.IsEmpty(failures, string.Join("\n", failures));
    }

    [TestMethod]
    public void SolarizeAddAndInvertAreExact()
    {
        var img = DataTestImages.Pattern(8, 8);
        RgbImage inv = ImageOps.Invert(img);
        for (int i = 0; i < img.Pixels.Length; i++)
        {
            Assert.AreEqual(255 - img.Pixels[i], inv.Pixels[i]);
            int v = img.Pixels[i];
            Assert.AreEqual(v < 128 ? Math.Min(255, v + 50) : v, ImageOps.SolarizeAdd(img, 50).Pixels[i]);
        }
    }

    [TestMethod]
    public void ColorJitterFactorsStayInRangeAndMatchHandComputedBrightness()
    {
        // Brightness only: the result is one factor times the image (truncated), with the factor in [0.6, 1.4].
        var img = new RgbImage(4, 4);
        Array.Fill(img.Pixels, (byte)100);
        var jitter = new ColorJitter(0.4, 0, 0);
        var seen = new HashSet<int>();
        for (int i = 0; i < 500; i++)
        {
            RgbImage o = jitter.Apply(img, new Random(i));
            int v = o.Pixels[0];
            Assert.IsTrue(v >= 60 && v <= 140, $"{v}");
            Assert.IsTrue(o.Pixels.All(p => p == v));
            seen.Add(v);
        }

        Assert.IsGreaterThan(60, seen.Count);

        // Hand-computed: factor f -> (byte)(0 + f * (100 - 0)) truncated.
        var rng = new Random(42);
        var check = new Random(42);
        int[] order = [0, 1, 2, 3];
        check.Shuffle(order);
        double f = check.Uniform(0.6, 1.4);
        Assert.AreEqual((byte)(float)(100 * (float)f), jitter.Apply(img, rng).Pixels[0]);
    }

    [TestMethod]
    public void RandAugmentParsesTimmStrings()
    {
        RandAugment ra = RandAugment.Parse("rand-m9-mstd0.5-inc1");
        Assert.AreEqual(9, ra.Magnitude);
        Assert.AreEqual(2, ra.NumLayers);
        Assert.AreEqual(0.5, ra.MagnitudeStd);
        Assert.IsTrue(ra.Increasing);
        Assert.AreEqual(15, ra.Ops.Count);
        CollectionAssert.Contains(ra.Ops.ToArray(), "PosterizeIncreasing");

        RandAugment b = RandAugment.Parse("rand-n3-m7-mmax8-mstdinf");
        Assert.AreEqual(3, b.NumLayers);
        Assert.AreEqual(7, b.Magnitude);
        Assert.AreEqual(8, b.MagnitudeMax);
        Assert.IsTrue(double.IsPositiveInfinity(b.MagnitudeStd));
        Assert.IsFalse(b.Increasing);
        Assert.AreEqual(10, RandAugment.Parse("rand").Magnitude);

        Assert.ThrowsExactly<FormatException>(() => RandAugment.Parse("augmix-m5"));
        Assert.ThrowsExactly<FormatException>(() => RandAugment.Parse("rand-q5"));
        Assert.ThrowsExactly<FormatException>(() => RandAugment.Parse("rand-mx"));
    }

    [TestMethod]
    public void EveryRandAugmentOpHasItsEffect()
    {
        // Low contrast (values 40..167) so AutoContrast and Equalize have something to stretch.
        var img = DataTestImages.Pattern(20, 16, 4);
        for (int i = 0; i < img.Pixels.Length; i++)
        {
            img.Pixels[i] = (byte)(40 + (img.Pixels[i] / 2));
        }

        var ra = new RandAugment(9, bilinear: false);
        var rng = new Random(0);
        foreach (string op in RandAugment.IncreasingOps.Concat(RandAugment.StandardOps).Distinct())
        {
            // Solarize (non-increasing) at 9 has threshold 230, above every pixel here: check it at 5 (threshold 128).
            RgbImage o = ra.ApplyOp(op, img, op == "Solarize" ? 5 : 9, rng);
            Assert.AreEqual(img.Width, o.Width);
            Assert.IsFalse(o.Pixels.AsSpan().SequenceEqual(img.Pixels), $"{op} left the image unchanged");
        }

        // Exact level mappings at magnitude 9 (timm): posterize-increasing keeps 4 - int(0.9 * 4) = 1 bit,
        // solarize-increasing threshold 256 - int(0.9 * 256) = 26, solarize-add adds int(0.9 * 110) = 99.
        CollectionAssert.AreEqual(ImageOps.Posterize(img, 1).Pixels, ra.ApplyOp("PosterizeIncreasing", img, 9, rng).Pixels);
        CollectionAssert.AreEqual(ImageOps.Solarize(img, 26).Pixels, ra.ApplyOp("SolarizeIncreasing", img, 9, rng).Pixels);
        CollectionAssert.AreEqual(ImageOps.SolarizeAdd(img, 99).Pixels, ra.ApplyOp("SolarizeAdd", img, 9, rng).Pixels);
        CollectionAssert.AreEqual(ImageOps.Invert(img).Pixels, ra.ApplyOp("Invert", img, 9, rng).Pixels);

        // Rotate at magnitude 10 is +-30 degrees.
        var r1 = ra.ApplyOp("Rotate", img, 10, new Random(5));
        var plus = ImageOps.Rotate(img, 30, false, ImageOps.DefaultFill);
        var minus = ImageOps.Rotate(img, -30, false, ImageOps.DefaultFill);
        Assert.IsTrue(r1.Pixels.AsSpan().SequenceEqual(plus.Pixels) || r1.Pixels.AsSpan().SequenceEqual(minus.Pixels));
        // Magnitude 0 leaves geometric ops as identity.
        CollectionAssert.AreEqual(img.Pixels, ra.ApplyOp("ShearX", img, 0, rng).Pixels);
    }

    [TestMethod]
    public void RandAugmentIsDeterministicPerSeed()
    {
        var img = DataTestImages.Pattern(24, 24, 2);
        RandAugment ra = RandAugment.Parse("rand-m9-mstd0.5-inc1");
        int changed = 0;
        for (int s = 0; s < 50; s++)
        {
            RgbImage a = ra.Apply(img, new Random(s)), b = ra.Apply(img, new Random(s));
            CollectionAssert.AreEqual(a.Pixels, b.Pixels);
            changed += a.Pixels.AsSpan().SequenceEqual(img.Pixels) ? 0 : 1;
        }

        // Two layers each applied with p = 0.5: about 75% of images change.
        Assert.IsTrue(changed is > 25 and < 48, $"{changed}");
    }

    [TestMethod]
    public void RandomErasingAreaFractionAndPixelMode()
    {
        var erasing = new RandomErasing(1.0, ErasingMode.Pixel);
        var rng = new Random(11);
        double min = 1, max = 0;
        int n = 0;
        for (int i = 0; i < 3000; i++)
        {
            var t = new float[3 * 32 * 32];
            var rects = erasing.Apply(t, 32, 32, rng);
            foreach (var r in rects)
            {
                double frac = r.Height * r.Width / 1024.0;
                min = Math.Min(min, frac);
                max = Math.Max(max, frac);
                double ratio = (double)r.Height / r.Width;
                Assert.IsTrue(r.Height < 32 && r.Width < 32 && r.Top + r.Height <= 32 && r.Left + r.Width <= 32);
                Assert.IsTrue(ratio > 0.2 && ratio < 5, $"{ratio}");
                n++;
                // Inside the rectangle: noise; outside: untouched zeros.
                Assert.AreNotEqual(0f, t[(r.Top * 32) + r.Left]);
                int nonZero = t.Count(v => v != 0);
                Assert.AreEqual(3 * r.Height * r.Width, nonZero);
            }
        }

        Assert.IsTrue(n > 2500, $"{n}");
        Assert.IsTrue(min >= 0.01 && min < 0.03, $"min {min}");
        Assert.IsTrue(max > 0.3 && max < 0.42, $"max {max}");

        var never = new RandomErasing(0.0);
        Assert.IsEmpty(never.Apply(new float[3 * 8 * 8], 8, 8, rng));
    }

    [TestMethod]
    public void TrainTransformNormalisesAndEvalMatchesPreprocessor()
    {
        var opts = new TrainTransformOptions { ImageSize = 32, Scale = (0.35, 1), HFlip = 0, ColorJitter = 0, Interpolation = ResamplingFilter.Bilinear, Mean = [0.5f, 0.5f, 0.5f], Std = [0.5f, 0.5f, 0.5f] };
        var t = new TrainTransform(opts);
        var img = new RgbImage(28, 28);
        Array.Fill(img.Pixels, (byte)255);
        var dst = new float[3 * 32 * 32];
        t.Apply(img, new Random(1), dst);
        Assert.IsTrue(dst.All(v => Math.Abs(v - 1f) < 1e-6));

        var full = new TrainTransform(new TrainTransformOptions { ImageSize = 32, AutoAugment = "rand-m9-mstd0.5-inc1", ReProb = 0.25 });
        Assert.IsNotNull(full.RandAugment);
        Assert.IsNull(full.Jitter);
        Assert.AreEqual((124, 116, 104), ((int)full.RandAugment.Fill.R, (int)full.RandAugment.Fill.G, (int)full.RandAugment.Fill.B));
        full.Apply(DataTestImages.Pattern(50, 40), new Random(2), dst);

        var eval = new EvalTransform(new PreprocessOptions { InputSize = 32, CropPct = 1.0 });
        var pre = new ImagePreprocessor(new PreprocessOptions { InputSize = 32, CropPct = 1.0 });
        var a = new float[3 * 32 * 32];
        eval.Apply(img, new Random(0), a);
        CollectionAssert.AreEqual(pre.ToTensor(img), a);
    }
}
