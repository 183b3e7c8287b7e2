using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>Two linear layers with GELU between, on channels-last input (timm's Mlp: <c>fc1</c>, <c>act</c>, <c>drop1</c>, <c>norm</c>, <c>fc2</c>).</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Dropout drop;

    /// <summary>Creates the MLP.</summary>
    public Mlp(long inFeatures, long hiddenFeatures, double drop = 0) : base(nameof(Mlp))
    {
        fc1 = nn.Linear(inFeatures, hiddenFeatures);
        this.drop = nn.Dropout(drop);
        fc2 = nn.Linear(hiddenFeatures, inFeatures);
        register_module("fc1", fc1);
        register_module("act", nn.GELU());
        register_module("drop1", this.drop);
        register_module("norm", nn.Identity());
        register_module("fc2", fc2);
    }

    /// <summary>The first linear layer.</summary>
    public Linear Fc1 => fc1;

    /// <summary>The second linear layer.</summary>
    public Linear Fc2 => fc2;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var h = fc1.call(input);
        using var a = nn.functional.gelu(h);
        using var d = drop.call(a);
        return fc2.call(d);
    }
}
