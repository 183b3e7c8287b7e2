using InceptionNeXt.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// Block of the isotropic models in the official ConvNeXt layout (<c>models/convnext.py</c>'s <c>Block</c>, as used by
/// <c>convnext_isotropic.py</c>): spatial mixer <c>dwconv</c>, channels-last LayerNorm <c>norm</c>, linear MLP
/// <c>pwconv1</c> / GELU / <c>pwconv2</c>, optional layer scale <c>gamma</c>, drop path, residual. The mixer is ConvNeXt's
/// depthwise k x k conv or, for <see cref="ModelFamily.InceptionNeXt"/>, the <see cref="InceptionDWConv2d"/> in its place
/// (kept under the name <c>dwconv</c>, so only the mixer's keys differ from a ConvNeXt-iso checkpoint).
/// </summary>
public sealed class IsotropicBlock : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> dwconv;
    private readonly LayerNorm norm;
    private readonly Linear pwconv1;
    private readonly nn.Module<Tensor, Tensor> act;
    private readonly Linear pwconv2;
    private readonly Parameter? gamma;
    private readonly DropPath? dropPath;

    /// <summary>
    /// Creates the block; a <see cref="ModelConfig.LayerScaleInit"/> of 0 leaves out <c>gamma</c> (the official
    /// <c>layer_scale_init_value=0</c>, with which the isotropic models were trained).
    /// </summary>
    public IsotropicBlock(int dim, ModelConfig config, double dropPathRate) : base(nameof(IsotropicBlock))
    {
        var k = config.KernelSize;
        dwconv = config.Family == ModelFamily.InceptionNeXt
            ? new InceptionDWConv2d(dim, config.SquareKernelSize, config.BandKernelSize, config.BranchRatio)
            : nn.Conv2d(dim, dim, k, padding: k / 2, groups: dim);
        norm = nn.LayerNorm(dim, 1e-6);
        var hidden = (long)(config.MlpRatios[0] * dim);
        pwconv1 = nn.Linear(dim, hidden);
        act = nn.GELU();
        pwconv2 = nn.Linear(hidden, dim);
        register_module("dwconv", dwconv);
        register_module("norm", norm);
        register_module("pwconv1", pwconv1);
        register_module("act", act);
        register_module("pwconv2", pwconv2);
        if (config.LayerScaleInit > 0)
        {
            gamma = new Parameter(full(dim, config.LayerScaleInit));
            register_parameter("gamma", gamma);
        }
        if (dropPathRate > 0)
        {
            dropPath = new DropPath(dropPathRate);
            register_module("drop_path", dropPath);
        }
    }

    /// <summary>The spatial mixer: a depthwise <see cref="Conv2d"/> or an <see cref="InceptionDWConv2d"/>.</summary>
    public nn.Module<Tensor, Tensor> DwConv => dwconv;

    /// <summary>The LayerNorm over channels (applied channels-last).</summary>
    public LayerNorm Norm => norm;

    /// <summary>The MLP's expanding linear layer.</summary>
    public Linear PwConv1 => pwconv1;

    /// <summary>The MLP's projecting linear layer.</summary>
    public Linear PwConv2 => pwconv2;

    /// <summary>The layer scale, or null when the block has none.</summary>
    public Parameter? Gamma => gamma;

    /// <summary>One dispose scope per block (see <see cref="MetaNeXtBlock.forward"/>).</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = dwconv.call(input).permute(0, 2, 3, 1);
        x = pwconv2.call(act.call(pwconv1.call(norm.call(x))));
        if (gamma is not null) x = x.mul(gamma);
        x = x.permute(0, 3, 1, 2);
        if (dropPath is not null) x = dropPath.call(x);
        return scope.MoveToOuter(x.add(input));
    }
}
