using InceptionNeXt.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>MetaNeXt block: token mixer, BatchNorm, conv MLP, layer scale, drop path, residual.</summary>
public sealed class MetaNeXtBlock : nn.Module<Tensor, Tensor>
{
    private readonly InceptionDWConv2d tokenMixer;
    private readonly BatchNorm2d norm;
    private readonly ConvMlp mlp;
    private readonly Parameter gamma;
    private readonly DropPath? dropPath;

    /// <summary>Creates the block.</summary>
    public MetaNeXtBlock(int dim, ModelConfig config, double mlpRatio, double dropPathRate) : base(nameof(MetaNeXtBlock))
    {
        tokenMixer = new InceptionDWConv2d(dim, config.SquareKernelSize, config.BandKernelSize, config.BranchRatio);
        norm = nn.BatchNorm2d(dim);
        mlp = new ConvMlp(dim, (long)(mlpRatio * dim));
        gamma = new Parameter(full(dim, config.LayerScaleInit));
        register_module("token_mixer", tokenMixer);
        register_module("norm", norm);
        register_module("mlp", mlp);
        register_parameter("gamma", gamma);
        if (dropPathRate > 0)
        {
            dropPath = new DropPath(dropPathRate);
            register_module("drop_path", dropPath);
        }
    }

    /// <summary>The token mixer.</summary>
    public InceptionDWConv2d TokenMixer => tokenMixer;

    /// <summary>The BatchNorm after the mixer.</summary>
    public BatchNorm2d Norm => norm;

    /// <summary>The channel MLP.</summary>
    public ConvMlp Mlp => mlp;

    /// <summary>The layer scale.</summary>
    public Parameter Gamma => gamma;

    /// <summary>
    /// One dispose scope per block: the block's temporaries are released as soon as it is done rather than at the end
    /// of the step (autograd holds its own references to what backward needs), which keeps peak RSS down.
    /// </summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = mlp.call(norm.call(tokenMixer.call(input)));
        x = x.mul(gamma.reshape(1, -1, 1, 1));
        if (dropPath is not null) x = dropPath.call(x);
        return scope.MoveToOuter(x.add(input));
    }
}
