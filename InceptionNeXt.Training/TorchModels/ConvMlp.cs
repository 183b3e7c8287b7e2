using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>Two 1x1 convolutions with GELU between, on NCHW input (timm's ConvMlp: <c>fc1</c>, <c>norm</c>, <c>act</c>, <c>drop</c>, <c>fc2</c>).</summary>
public sealed class ConvMlp : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d fc1;
    private readonly Conv2d fc2;
    private readonly Dropout drop;

    /// <summary>Creates the MLP.</summary>
    public ConvMlp(long inFeatures, long hiddenFeatures, double drop = 0) : base(nameof(ConvMlp))
    {
        fc1 = nn.Conv2d(inFeatures, hiddenFeatures, 1);
        this.drop = nn.Dropout(drop);
        fc2 = nn.Conv2d(hiddenFeatures, inFeatures, 1);
        register_module("fc1", fc1);
        register_module("norm", nn.Identity());
        register_module("act", nn.GELU());
        register_module("drop", this.drop);
        register_module("fc2", fc2);
    }

    /// <summary>The first 1x1 convolution (the exporter folds a preceding BatchNorm into it).</summary>
    public Conv2d Fc1 => fc1;

    /// <summary>The second 1x1 convolution.</summary>
    public Conv2d Fc2 => fc2;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var h = fc1.call(input);
        using var a = nn.functional.gelu(h);
        using var d = drop.call(a);
        return fc2.call(d);
    }
}
