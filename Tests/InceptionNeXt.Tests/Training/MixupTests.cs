using InceptionNeXt.Training.LibTorch;
using InceptionNeXt.Training.Training;

namespace InceptionNeXt.Tests.Training;

/// <summary>Mixup/CutMix in timm's batch mode: soft targets, pairing with the flipped batch, box correction, lambda statistics.</summary>
[TestClass]
public sealed class MixupTests
{
    private const int Classes = 5;

    private static (Tensor Images, Tensor Labels) Batch(int n = 6, int size = 8)
    {
        Torch.ManualSeed(3);
        var images = Torch.Randn([n, 3, size, size]);
        var labels = Torch.FromArray(Enumerable.Range(0, n).Select(i => (long)(i % Classes)).ToArray(), [n]);
        return (images, labels);
    }

    [TestMethod]
    public void TargetsAreSmoothedAndMixedLikeTimm()
    {
        using var scope = Torch.NewDisposeScope();
        using var labels = Torch.FromArray([0L, 1, 2, 3], [4]);
        var t = Mixup.MixupTarget(labels, Classes, 0.7, 0.1).ToFloatArray();
        var off = 0.1 / Classes;
        var on = 1 - 0.1 + off;
        long[] l = [0, 1, 2, 3];
        for (var i = 0; i < 4; i++)
        {
            var j = 3 - i;
            double sum = 0;
            for (var c = 0; c < Classes; c++)
            {
                var a = l[i] == c ? on : off;
                var b = l[j] == c ? on : off;
                Assert.AreEqual(0.7 * a + 0.3 * b, t[i * Classes + c], 1e-6);
                sum += t[i * Classes + c];
            }
            Assert.AreEqual(1.0, sum, 1e-6);
        }
    }

    [TestMethod]
    public void MixupBlendsWithFlippedBatch()
    {
        using var scope = Torch.NewDisposeScope();
        var (images, labels) = Batch();
        var mixup = new Mixup(new MixupOptions(Classes, MixupAlpha: 0.8, CutmixAlpha: 0));
        var result = mixup.Apply(images, labels, new Random(1));
        Assert.IsNull(result.Box);
        Assert.IsTrue(result.Lambda is > 0 and < 1);
        var x = images.ToFloatArray();
        var m = result.Images.ToFloatArray();
        var per = 3 * 8 * 8;
        for (var i = 0; i < 6; i++)
            for (var k = 0; k < per; k += 7)
                Assert.AreEqual(x[i * per + k] * result.Lambda + x[(5 - i) * per + k] * (1 - result.Lambda), m[i * per + k], 1e-5);
        CheckTargets(result, labels, 0.1);
    }

    [TestMethod]
    public void CutmixBoxComesFromFlippedBatchAndLambdaIsCorrected()
    {
        using var scope = Torch.NewDisposeScope();
        var (images, labels) = Batch();
        var mixup = new Mixup(new MixupOptions(Classes, MixupAlpha: 0, CutmixAlpha: 1.0));
        var random = new Random(5);
        var boxes = 0;
        for (var trial = 0; trial < 20; trial++)
        {
            var result = mixup.Apply(images, labels, random);
            Assert.IsNotNull(result.Box);
            var box = result.Box.Value;
            Assert.AreEqual(1.0 - box.Area / 64.0, result.Lambda, 1e-12, "correct_lam uses the clipped box area");
            if (box.Area > 0) boxes++;
            var x = images.ToFloatArray();
            var m = result.Images.ToFloatArray();
            for (var i = 0; i < 6; i++)
                for (var c = 0; c < 3; c++)
                    for (var y = 0; y < 8; y++)
                        for (var xx = 0; xx < 8; xx++)
                        {
                            var inside = y >= box.Y0 && y < box.Y1 && xx >= box.X0 && xx < box.X1;
                            var src = inside ? 5 - i : i;
                            Assert.AreEqual(x[((src * 3 + c) * 8 + y) * 8 + xx], m[((i * 3 + c) * 8 + y) * 8 + xx]);
                        }
            CheckTargets(result, labels, 0.1);
        }
        Assert.IsTrue(boxes > 10);
    }

    [TestMethod]
    public void SwitchesBetweenMixupAndCutmixAndSkipsWithProb()
    {
        using var scope = Torch.NewDisposeScope();
        var (images, labels) = Batch();
        var mixup = new Mixup(new MixupOptions(Classes));
        var random = new Random(11);
        int cut = 0, mix = 0;
        for (var i = 0; i < 200; i++)
        {
            var (lam, useCutmix) = mixup.SampleParameters(random);
            Assert.IsTrue(lam is >= 0 and <= 1);
            if (useCutmix) cut++;
            else mix++;
        }
        Assert.IsTrue(cut is > 70 and < 130, $"cutmix {cut} / 200 with switch prob 0.5");

        var never = new Mixup(new MixupOptions(Classes, Prob: 0));
        var r = never.Apply(images, labels, new Random(1));
        Assert.AreEqual(1.0, r.Lambda);
        CollectionAssert.AreEqual(images.ToFloatArray(), r.Images.ToFloatArray());
        CheckTargets(r, labels, 0.1);

        Assert.ThrowsExactly<ArgumentException>(() => mixup.Apply(images.Narrow(0, 0, 5), labels.Narrow(0, 0, 5), new Random(1)));
    }

    [TestMethod]
    [DataRow(0.8)]
    [DataRow(1.0)]
    [DataRow(2.5)]
    public void BetaSamplesHaveTheRightMoments(double alpha)
    {
        var random = new Random(42);
        const int n = 40000;
        double sum = 0, sumSq = 0;
        for (var i = 0; i < n; i++)
        {
            var v = Mixup.SampleBeta(random, alpha, alpha);
            Assert.IsTrue(v is >= 0 and <= 1);
            sum += v;
            sumSq += v * v;
        }
        var mean = sum / n;
        var variance = sumSq / n - mean * mean;
        // Beta(a, a): mean 1/2, variance 1 / (4 (2a + 1)).
        Assert.AreEqual(0.5, mean, 0.01);
        Assert.AreEqual(1 / (4 * (2 * alpha + 1)), variance, 0.004);
    }

    private static void CheckTargets(MixupBatch result, Tensor labels, double smoothing)
    {
        CollectionAssert.AreEqual(new long[] { labels.Size(0), Classes }, result.Targets.Shape);
        using var expected = Mixup.MixupTarget(labels, Classes, result.Lambda, smoothing);
        CollectionAssert.AreEqual(expected.ToFloatArray(), result.Targets.ToFloatArray());
        var t = result.Targets.ToFloatArray();
        for (var i = 0; i < labels.Size(0); i++)
            Assert.AreEqual(1.0, t.Skip(i * Classes).Take(Classes).Sum(), 1e-5);
    }
}
