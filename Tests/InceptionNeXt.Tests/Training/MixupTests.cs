using InceptionNeXt.Training.Training;

namespace InceptionNeXt.Tests.Training;

/// <summary>
/// The engine-neutral half of Mixup/CutMix (timm's batch mode): how lambda and the CutMix switch are drawn, the CutMix
/// box and its corrected lambda, and the Beta sampler. The tensor half is tested in TorchMixupTests.
/// </summary>
[TestClass]
public sealed class MixupTests
{
    private const int Classes = 5;

    [TestMethod]
    public void SwitchesBetweenMixupAndCutmixAndSkipsWithProb()
    {
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
        Assert.AreEqual(200, cut + mix);

        var never = new Mixup(new MixupOptions(Classes, Prob: 0));
        Assert.AreEqual((1.0, false), never.SampleParameters(new Random(1)));
        var disabled = new Mixup(new MixupOptions(Classes)) { Enabled = false };
        Assert.AreEqual((1.0, false), disabled.SampleParameters(new Random(1)));
        var cutmixOnly = new Mixup(new MixupOptions(Classes, MixupAlpha: 0, CutmixAlpha: 1.0));
        for (var i = 0; i < 20; i++) Assert.IsTrue(cutmixOnly.SampleParameters(random).UseCutmix);
    }

    [TestMethod]
    public void CutmixBoxLambdaIsCorrectedForTheClippedArea()
    {
        var mixup = new Mixup(new MixupOptions(Classes, MixupAlpha: 0, CutmixAlpha: 1.0));
        var random = new Random(5);
        var clipped = 0;
        for (var trial = 0; trial < 50; trial++)
        {
            var (box, lam) = mixup.SampleBox(random, 8, 8, 0.5);
            Assert.IsTrue(box.Y0 >= 0 && box.Y0 <= box.Y1 && box.Y1 <= 8 && box.X0 >= 0 && box.X0 <= box.X1 && box.X1 <= 8, $"{box}");
            Assert.AreEqual(1.0 - box.Area / 64.0, lam, 1e-12, "correct_lam uses the clipped box area");
            // An unclipped box for lambda 0.5 is int(8 * sqrt(0.5)) = 5, halved and doubled: 4 x 4 = 16 pixels.
            if (box.Area < 16) clipped++;
            else Assert.AreEqual(16, box.Area);
        }
        Assert.IsTrue(clipped > 0, "some boxes fall over the border");
        var uncorrected = new Mixup(new MixupOptions(Classes, CorrectLambda: false));
        Assert.AreEqual(0.5, uncorrected.SampleBox(new Random(1), 8, 8, 0.5).Lambda);
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
}
