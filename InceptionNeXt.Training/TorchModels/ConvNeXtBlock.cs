using InceptionNeXt.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>ConvNeXt block (timm layout): depthwise conv, LayerNorm, MLP, layer scale, drop path, residual.</summary>
public sealed class ConvNeXtBlock : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> convDw;
    private readonly nn.Module<Tensor, Tensor> norm;
    private readonly nn.Module<Tensor, Tensor> mlp;
    private readonly Parameter gamma;
    private readonly DropPath? dropPath;

    /// <summary>Creates the block.</summary>
    public ConvNeXtBlock(int dim, ModelConfig config, double mlpRatio, double dropPathRate) : base(nameof(ConvNeXtBlock))
    {
        ConvMlpForm = config.ConvMlp;
        var k = config.KernelSize;
        convDw = config.PartialRatio < 1
            ? new PartialConv2d(dim, k, config.PartialRatio)
            : nn.Conv2d(dim, dim, k, padding: k / 2, groups: dim);
        norm = ConvMlpForm ? new LayerNorm2d(dim) : nn.LayerNorm(dim, 1e-6);
        var hidden = (long)(mlpRatio * dim);
        mlp = ConvMlpForm ? new ConvMlp(dim, hidden) : new Mlp(dim, hidden);
        gamma = new Parameter(full(dim, config.LayerScaleInit));
        register_module("conv_dw", convDw);
        register_module("norm", norm);
        register_module("mlp", mlp);
        register_parameter("gamma", gamma);
        register_module("shortcut", nn.Identity());
        if (dropPathRate > 0)
        {
            dropPath = new DropPath(dropPathRate);
            register_module("drop_path", dropPath);
        }
    }

    /// <summary>Whether the MLP is 1x1 convolutions on NCHW (atto..nano) rather than linear layers on NHWC.</summary>
    public bool ConvMlpForm { get; }

    /// <summary>The depthwise convolution (a <see cref="Conv2d"/> or a <see cref="PartialConv2d"/>).</summary>
    public nn.Module<Tensor, Tensor> ConvDw => convDw;

    /// <summary>The norm (a <see cref="LayerNorm2d"/> or, on NHWC, a <see cref="LayerNorm"/>).</summary>
    public nn.Module<Tensor, Tensor> Norm => norm;

    /// <summary>The MLP (a <see cref="ConvMlp"/> or an <see cref="Mlp"/>).</summary>
    public nn.Module<Tensor, Tensor> Mlp => mlp;

    /// <summary>The layer scale.</summary>
    public Parameter Gamma => gamma;

    /// <summary>One dispose scope per block (see <see cref="MetaNeXtBlock.forward"/>).</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = convDw.call(input);
        x = ConvMlpForm
            ? mlp.call(norm.call(x))
            : mlp.call(norm.call(x.permute(0, 2, 3, 1))).permute(0, 3, 1, 2);
        x = x.mul(gamma.reshape(1, -1, 1, 1));
        if (dropPath is not null) x = dropPath.call(x);
        return scope.MoveToOuter(x.add(input));
    }
}
