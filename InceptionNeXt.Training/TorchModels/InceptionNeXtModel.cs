using InceptionNeXt.Training.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// InceptionNeXt (CVPR 2024) as a TorchSharp module in timm's MetaNeXt layout, so official and timm checkpoints load
/// unchanged: <c>stem.0/1</c>, <c>stages.N.downsample.0/1</c>, <c>stages.N.blocks.M.{token_mixer,norm,mlp,gamma}</c>,
/// <c>head.fc1/norm/fc2</c>.
/// </summary>
public sealed class InceptionNeXtModel : ImageClassifier
{
    private readonly MlpClassifierHead head;

    /// <summary>Builds the model from a config of family <see cref="ModelFamily.InceptionNeXt"/>.</summary>
    public InceptionNeXtModel(ModelConfig config) : base(config)
    {
        if (config.Family != ModelFamily.InceptionNeXt)
            throw new ArgumentException($"{config.Name} is a {config.Family} config, not InceptionNeXt.", nameof(config));
        RegisterBackbone(
            nn.BatchNorm2d(config.Dims[0]),
            (inDim, outDim) => nn.Sequential(nn.BatchNorm2d(inDim), nn.Conv2d(inDim, outDim, 2, stride: 2)),
            (stage, dim, rate) => new MetaNeXtBlock(dim, config, config.MlpRatios[stage], rate));
        head = new MlpClassifierHead(config.Dims[^1], config.NumClasses, 3, config.DropRate);
        register_module("head", head);
        InitWeights();
    }

    /// <summary>The head.</summary>
    public MlpClassifierHead Head => head;

    /// <inheritdoc/>
    public override int PreLogitsSize => head.HiddenSize;

    /// <inheritdoc/>
    public override string ClassifierName => "head.fc2";

    /// <inheritdoc/>
    public override Tensor forward_head(Tensor features, bool preLogits = false) => head.Forward(features, preLogits);

    /// <inheritdoc/>
    protected override nn.Module<Tensor, Tensor> ReplaceClassifier(int numClasses) => head.ResetClassifier(numClasses);

    /// <inheritdoc/>
    protected override long BlockMacs(int stage, long h, long w)
    {
        var c = Config;
        var dim = c.Dims[stage];
        var gc = (long)(dim * c.BranchRatio);
        var hidden = (long)(c.MlpRatios[stage] * dim);
        return ConvMacs(gc, gc, c.SquareKernelSize, c.SquareKernelSize, gc, h, w)
               + 2 * ConvMacs(gc, gc, 1, c.BandKernelSize, gc, h, w)
               + ConvMacs(dim, hidden, 1, 1, 1, h, w) + ConvMacs(hidden, dim, 1, 1, 1, h, w);
    }

    /// <inheritdoc/>
    protected override long HeadMacs() => (long)Config.Dims[^1] * head.HiddenSize + (long)head.HiddenSize * Config.NumClasses;
}
