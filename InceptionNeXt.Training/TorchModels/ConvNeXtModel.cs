using InceptionNeXt.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// ConvNeXt as a TorchSharp module in timm's layout (<c>stem.0/1</c>, <c>stages.N.downsample.0/1</c>,
/// <c>stages.N.blocks.M.{conv_dw,norm,mlp.fc1,mlp.fc2,gamma}</c>, <c>head.norm</c>, <c>head.fc</c>), with the
/// InceptionNeXt paper's kernel-size and partial-channel ablations as config knobs.
/// </summary>
public sealed class ConvNeXtModel : ImageClassifier
{
    private readonly NormClassifierHead head;

    /// <summary>Builds the model from a config of family <see cref="ModelFamily.ConvNeXt"/>.</summary>
    public ConvNeXtModel(ModelConfig config) : base(config)
    {
        if (config.Family != ModelFamily.ConvNeXt)
            throw new ArgumentException($"{config.Name} is a {config.Family} config, not ConvNeXt.", nameof(config));
        RegisterBackbone(
            new LayerNorm2d(config.Dims[0]),
            (inDim, outDim) => nn.Sequential(new LayerNorm2d(inDim), nn.Conv2d(inDim, outDim, 2, stride: 2)),
            (stage, dim, rate) => new ConvNeXtBlock(dim, config, config.MlpRatios[stage], rate));
        register_module("norm_pre", nn.Identity());
        head = new NormClassifierHead(config.Dims[^1], config.NumClasses, config.DropRate);
        register_module("head", head);
        InitWeights();
    }

    /// <summary>The head.</summary>
    public NormClassifierHead Head => head;

    /// <inheritdoc/>
    public override int PreLogitsSize => NumFeatures;

    /// <inheritdoc/>
    public override string ClassifierName => "head.fc";

    /// <inheritdoc/>
    public override Tensor forward_head(Tensor features, bool preLogits = false) => head.Forward(features, preLogits);

    /// <inheritdoc/>
    protected override nn.Module<Tensor, Tensor> ReplaceClassifier(int numClasses) => head.ResetClassifier(numClasses);

    /// <inheritdoc/>
    protected override long BlockMacs(int stage, long h, long w)
    {
        var c = Config;
        var dim = c.Dims[stage];
        var convChannels = c.PartialRatio < 1 ? Math.Max(1, (long)(dim * c.PartialRatio)) : dim;
        var hidden = (long)(c.MlpRatios[stage] * dim);
        return ConvMacs(convChannels, convChannels, c.KernelSize, c.KernelSize, convChannels, h, w) + 2 * h * w * dim * hidden;
    }

    /// <inheritdoc/>
    protected override long HeadMacs() => (long)Config.Dims[^1] * Config.NumClasses;
}
