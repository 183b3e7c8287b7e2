using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>One resolution stage of either family: <c>downsample</c> (or identity) followed by <c>blocks</c>.</summary>
public sealed class Stage : nn.Module<Tensor, Tensor>
{
    private readonly nn.Module<Tensor, Tensor> downsample;
    private readonly Sequential blocks;

    /// <summary>Creates the stage from its downsample layer and blocks.</summary>
    public Stage(nn.Module<Tensor, Tensor> downsample, IEnumerable<nn.Module<Tensor, Tensor>> blocks) : base(nameof(Stage))
    {
        this.downsample = downsample;
        this.blocks = nn.Sequential(blocks);
        register_module("downsample", downsample);
        register_module("blocks", this.blocks);
    }

    /// <summary>The downsampling layer (an Identity in the first stage).</summary>
    public nn.Module<Tensor, Tensor> Downsample => downsample;

    /// <summary>The blocks, in order.</summary>
    public Sequential Blocks => blocks;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var x = downsample.call(input);
        return blocks.call(x);
    }
}
