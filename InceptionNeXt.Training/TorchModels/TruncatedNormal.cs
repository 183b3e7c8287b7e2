using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// PyTorch's <c>nn.init.trunc_normal_</c> by inverse-CDF sampling. TorchSharp 0.107's own <c>trunc_normal_</c> fills the
/// tensor with the value of <c>std</c> (every element 0.02 for timm's init), so the zoo does not use it.
/// </summary>
public static class TruncatedNormal
{
    /// <summary>Fills <paramref name="tensor"/> in place with N(<paramref name="mean"/>, <paramref name="std"/>²) truncated to [a, b].</summary>
    public static Tensor Fill(Tensor tensor, double mean = 0, double std = 1, double a = -2, double b = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(std);
        if (a >= b) throw new ArgumentException($"truncation bounds must satisfy a < b, got [{a}, {b}]");
        var low = NormalCdf((a - mean) / std);
        var high = NormalCdf((b - mean) / std);
        using var noGrad = no_grad();
        tensor.uniform_((2 * low) - 1, (2 * high) - 1);
        tensor.erfinv_();
        tensor.mul_(std * Math.Sqrt(2));
        tensor.add_(mean);
        tensor.clamp_(a, b);
        return tensor;
    }

    private static double NormalCdf(double x) => (1 + Erf(x / Math.Sqrt(2))) / 2;

    /// <summary>erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7: ample for sampling bounds).</summary>
    private static double Erf(double x)
    {
        var sign = Math.Sign(x);
        x = Math.Abs(x);
        var t = 1 / (1 + (0.3275911 * x));
        var y = 1 - ((((((1.061405429 * t) - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.Exp(-x * x);
        return sign * y;
    }
}
