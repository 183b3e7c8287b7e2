using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// Inception depthwise convolution: the channels are split into an identity part and three branches (square, 1xk and
/// kx1 depthwise convolutions), in that order, and concatenated back (timm's <c>InceptionDWConv2d</c>).
/// </summary>
public sealed class InceptionDWConv2d : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d dwconvHw;
    private readonly Conv2d dwconvW;
    private readonly Conv2d dwconvH;
    private readonly long[] splits;

    /// <summary>Creates the mixer for <paramref name="channels"/> channels.</summary>
    public InceptionDWConv2d(int channels, int squareKernel = 3, int bandKernel = 11, double branchRatio = 0.125) : base(nameof(InceptionDWConv2d))
    {
        var gc = (int)(channels * branchRatio);
        dwconvHw = nn.Conv2d(gc, gc, squareKernel, padding: squareKernel / 2, groups: gc);
        dwconvW = nn.Conv2d(gc, gc, (1L, (long)bandKernel), padding: (0L, (long)(bandKernel / 2)), groups: gc);
        dwconvH = nn.Conv2d(gc, gc, ((long)bandKernel, 1L), padding: ((long)(bandKernel / 2), 0L), groups: gc);
        register_module("dwconv_hw", dwconvHw);
        register_module("dwconv_w", dwconvW);
        register_module("dwconv_h", dwconvH);
        splits = [channels - 3 * gc, gc, gc, gc];
    }

    /// <summary>Channels of the identity part and of each branch, in order.</summary>
    public IReadOnlyList<long> Splits => splits;

    /// <summary>The square branch.</summary>
    public Conv2d SquareConv => dwconvHw;

    /// <summary>The 1xk (horizontal band) branch.</summary>
    public Conv2d WidthConv => dwconvW;

    /// <summary>The kx1 (vertical band) branch.</summary>
    public Conv2d HeightConv => dwconvH;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var parts = input.split(splits, 1);
        var y = cat([parts[0], dwconvHw.call(parts[1]), dwconvW.call(parts[2]), dwconvH.call(parts[3])], 1);
        return scope.MoveToOuter(y);
    }
}
