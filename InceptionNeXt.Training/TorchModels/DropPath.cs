using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>Stochastic depth (timm's DropPath): in training, drops whole samples of a residual branch and scales the kept ones by 1/keep.</summary>
public sealed class DropPath : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the layer with drop probability <paramref name="p"/>.</summary>
    public DropPath(double p) : base(nameof(DropPath))
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "Drop-path probability must be in [0, 1).");
        P = p;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        if (!training || P == 0) return input.alias();
        var keep = 1 - P;
        var shape = new long[input.dim()];
        Array.Fill(shape, 1L);
        shape[0] = input.shape[0];
        using var mask = empty(shape, input.dtype, input.device).bernoulli_(keep);
        mask.div_(keep);
        return input.mul(mask);
    }
}
