using InceptionNeXt.Training.TorchTraining;
using InceptionNeXt.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Tests.Training;

/// <summary>Mixup/CutMix on TorchSharp tensors in timm's batch mode: soft targets, pairing with the flipped batch, box correction.</summary>
[TestClass]
public sealed class TorchMixupTests
{
    private const int Classes = 5;

    private static (Tensor Images, Tensor Labels) Batch(int n = 6, int size = 8)
    {
        manual_seed(3);
        var images = randn(n, 3, size, size);
        var labels = tensor(Enumerable.Range(0, n).Select(i => (long)(i % Classes)).ToArray());
        return (images, labels);
    }

    private static float[] Values(Tensor t) => t.contiguous().data<float>().ToArray();

    [TestMethod]
    public void TargetsAreSmoothedAndMixedLikeTimm()
    {
        using var scope = NewDisposeScope();
        var labels = tensor(new long[] { 0, 1, 2, 3 });
        var t = Values(TorchMixup.MixupTarget(labels, Classes, 0.7, 0.1));
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
        using var scope = NewDisposeScope();
        var (images, labels) = Batch();
        var mixup = new Mixup(new MixupOptions(Classes, MixupAlpha: 0.8, CutmixAlpha: 0));
        var result = mixup.Apply(images, labels, new Random(1));
        Assert.IsNull(result.Box);
        Assert.IsTrue(result.Lambda is > 0 and < 1);
        var x = Values(images);
        var m = Values(result.Images);
        var per = 3 * 8 * 8;
        for (var i = 0; i < 6; i++)
            for (var k = 0; k < per; k += 7)
                Assert.AreEqual(x[i * per + k] * result.Lambda + x[(5 - i) * per + k] * (1 - result.Lambda), m[i * per + k], 1e-5);
        CheckTargets(result, labels, 0.1);
    }

    [TestMethod]
    public void CutmixBoxComesFromFlippedBatchAndLambdaIsCorrected()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Batch();
        var mixup = new Mixup(new MixupOptions(Classes, MixupAlpha: 0, CutmixAlpha: 1.0));
        var random = new Random(5);
        var boxes = 0;
        var x = Values(images);
        for (var trial = 0; trial < 20; trial++)
        {
            var result = mixup.Apply(images, labels, random);
            Assert.IsNotNull(result.Box);
            var box = result.Box.Value;
            Assert.AreEqual(1.0 - box.Area / 64.0, result.Lambda, 1e-12, "correct_lam uses the clipped box area");
            if (box.Area > 0) boxes++;
            var m = Values(result.Images);
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
        CollectionAssert.AreEqual(x, Values(images), "the input batch is left as it was");
    }

    [TestMethod]
    public void DrawsLikeTheEngineNeutralMixupAndRejectsOddBatches()
    {
        using var scope = NewDisposeScope();
        var (images, labels) = Batch();
        var mixup = new Mixup(new MixupOptions(Classes));
        // The same Random gives the same lambda and mode as Mixup.SampleParameters.
        var expected = mixup.SampleParameters(new Random(11));
        var result = mixup.Apply(images, labels, new Random(11));
        Assert.AreEqual(expected.UseCutmix, result.Box is not null);
        if (!expected.UseCutmix) Assert.AreEqual(expected.Lambda, result.Lambda);

        var never = new Mixup(new MixupOptions(Classes, Prob: 0));
        var r = never.Apply(images, labels, new Random(1));
        Assert.AreEqual(1.0, r.Lambda);
        CollectionAssert.AreEqual(Values(images), Values(r.Images));
        CheckTargets(r, labels, 0.1);

        Assert.ThrowsExactly<ArgumentException>(() => mixup.Apply(images.narrow(0, 0, 5), labels.narrow(0, 0, 5), new Random(1)));
    }

    private static void CheckTargets(TorchMixupBatch result, Tensor labels, double smoothing)
    {
        CollectionAssert.AreEqual(new long[] { labels.shape[0], Classes }, result.Targets.shape);
        using var expected = TorchMixup.MixupTarget(labels, Classes, result.Lambda, smoothing);
        CollectionAssert.AreEqual(Values(expected), Values(result.Targets));
        var t = Values(result.Targets);
        for (var i = 0; i < labels.shape[0]; i++)
            Assert.AreEqual(1.0, t.Skip(i * Classes).Take(Classes).Sum(), 1e-5);
    }
}
