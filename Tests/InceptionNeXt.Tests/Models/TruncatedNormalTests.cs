using InceptionNeXt.Training.TorchModels;
using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Tests.Models;

/// <summary>The zoo's truncated-normal init (TorchSharp 0.107's trunc_normal_ fills the constant std instead).</summary>
[TestClass]
public sealed class TruncatedNormalTests
{
    [TestMethod]
    public void TimmsInitHasTheRightSpreadAndNoConstantValues()
    {
        manual_seed(1);
        using var t = TruncatedNormal.Fill(empty(200_000), 0, 0.02, -2, 2);
        Assert.AreEqual(0.02, t.std().item<float>(), 2e-4);
        Assert.AreEqual(0.0, t.mean().item<float>(), 2e-4);
        Assert.IsTrue(t.unique().Item1.numel() > 100_000, "values are spread, not one constant");
    }

    [TestMethod]
    public void TightBoundsTruncate()
    {
        manual_seed(2);
        using var t = TruncatedNormal.Fill(empty(200_000), 0, 1, -1, 2);
        Assert.IsTrue(t.min().item<float>() >= -1 && t.max().item<float>() <= 2);
        // Mean of N(0, 1) truncated to [-1, 2]: (phi(-1) - phi(2)) / (Phi(2) - Phi(-1)) = 0.2296.
        Assert.AreEqual(0.2296, t.mean().item<float>(), 0.01);
        Assert.ThrowsExactly<ArgumentException>(() => TruncatedNormal.Fill(empty(3), 0, 1, 2, 1));
    }
}
