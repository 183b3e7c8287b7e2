using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// Depthwise convolution on a fraction of the channels (the InceptionNeXt paper's partial-channel ConvNeXt ablation):
/// the first channels pass unchanged, the last ones go through <c>conv</c>.
/// </summary>
public sealed class PartialConv2d : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;
    private readonly long[] splits;

    /// <summary>Creates the layer.</summary>
    public PartialConv2d(int channels, int kernel, double ratio) : base(nameof(PartialConv2d))
    {
        var convChannels = Math.Max(1, (int)(channels * ratio));
        conv = nn.Conv2d(convChannels, convChannels, kernel, padding: kernel / 2, groups: convChannels);
        register_module("conv", conv);
        splits = [channels - convChannels, convChannels];
    }

    /// <summary>Channels passed through, then channels convolved.</summary>
    public IReadOnlyList<long> Splits => splits;

    /// <summary>The depthwise convolution of the last channels.</summary>
    public Conv2d Conv => conv;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        if (splits[0] == 0) return conv.call(input);
        using var scope = NewDisposeScope();
        var parts = input.split(splits, 1);
        return scope.MoveToOuter(cat([parts[0], conv.call(parts[1])], 1));
    }
}
