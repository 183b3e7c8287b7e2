using InceptionNeXt.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// The isotropic models of the InceptionNeXt paper's Table 3, built as ConvNeXt's isotropic design
/// (facebookresearch/ConvNeXt <c>models/convnext_isotropic.py</c>, ConvNeXt paper section 3.3), with its state-dict names:
/// <c>stem</c> (a patchify conv, kernel = stride = <see cref="ModelConfig.StemStride"/>, 16 for the zoo variants, with
/// no norm after it), <c>blocks.N</c> (<see cref="IsotropicBlock"/>, all at 1/16 resolution and constant width, no
/// downsampling), then global average pooling, <c>norm</c> (LayerNorm, eps 1e-6) and the linear classifier <c>head</c>.
/// <para>
/// Choices, all ConvNeXt-iso's, kept for both families so that the two differ only in the spatial mixer as the paper
/// compares them: LayerNorm rather than MetaNeXt's BatchNorm in the block (the official InceptionNeXt repository has no
/// isotropic model to follow), a linear MLP of ratio 4 rather than MetaNeXt's 1x1 conv MLP (same weights in another
/// shape), no layer scale (ConvNeXt trained its isotropic models with <c>--layer_scale_init_value 0</c>), and the single
/// linear head rather than InceptionNeXt's MLP head (which would add 3.2M / 5.3M parameters for S / B and move the counts
/// off the paper's 22M / 86M). The Inception mixer replaces the 7x7 depthwise conv under the name <c>dwconv</c>
/// (<c>dwconv.dwconv_hw</c>, <c>dwconv.dwconv_w</c>, <c>dwconv.dwconv_h</c>).
/// </para>
/// </summary>
public sealed class IsotropicModel : ImageClassifier
{
    private readonly LayerNorm norm;
    private readonly Dropout headDrop;
    private nn.Module<Tensor, Tensor> head;

    /// <summary>Builds the model from an <see cref="ModelConfig.Isotropic"/> config of either family.</summary>
    public IsotropicModel(ModelConfig config) : base(config)
    {
        if (!config.Isotropic) throw new ArgumentException($"{config.Name} is not an isotropic config.", nameof(config));
        var dim = config.Dims[0];
        var p = config.StemStride;
        RegisterIsotropicBackbone(nn.Conv2d(config.InChannels, dim, p, stride: p), rate => new IsotropicBlock(dim, config, rate));
        norm = nn.LayerNorm(dim, 1e-6);
        headDrop = nn.Dropout(config.DropRate);
        head = CreateClassifier(config.NumClasses);
        register_module("norm", norm);
        register_module("head_drop", headDrop);
        register_module("head", head);
        InitWeights();
    }

    /// <summary>The final LayerNorm, applied to the pooled features.</summary>
    public LayerNorm Norm => norm;

    /// <summary>The classifier (a Linear, or an Identity with no classes).</summary>
    public nn.Module<Tensor, Tensor> Head => head;

    /// <inheritdoc/>
    public override int PreLogitsSize => NumFeatures;

    /// <inheritdoc/>
    public override string ClassifierName => "head";

    /// <inheritdoc/>
    public override Tensor forward_head(Tensor features, bool preLogits = false)
    {
        using var scope = NewDisposeScope();
        var x = headDrop.call(norm.call(features.mean([2, 3])));
        return scope.MoveToOuter(preLogits ? x : head.call(x));
    }

    /// <inheritdoc/>
    protected override nn.Module<Tensor, Tensor> ReplaceClassifier(int numClasses)
    {
        // TorchSharp refuses to register a name twice; registering null removes the old entry.
        register_module("head", null!);
        head.Dispose();
        head = CreateClassifier(numClasses);
        register_module("head", head);
        return head;
    }

    private nn.Module<Tensor, Tensor> CreateClassifier(int numClasses) =>
        numClasses > 0 ? nn.Linear(Config.Dims[0], numClasses) : nn.Identity();

    /// <inheritdoc/>
    protected override long BlockMacs(int stage, long h, long w)
    {
        var c = Config;
        var dim = c.Dims[stage];
        long mixer;
        if (c.Family == ModelFamily.InceptionNeXt)
        {
            var gc = (long)(dim * c.BranchRatio);
            mixer = ConvMacs(gc, gc, c.SquareKernelSize, c.SquareKernelSize, gc, h, w) + (2 * ConvMacs(gc, gc, 1, c.BandKernelSize, gc, h, w));
        }
        else mixer = ConvMacs(dim, dim, c.KernelSize, c.KernelSize, dim, h, w);
        var hidden = (long)(c.MlpRatios[stage] * dim);
        return mixer + (2 * h * w * dim * hidden);
    }

    /// <inheritdoc/>
    protected override long HeadMacs() => (long)Config.Dims[0] * Config.NumClasses;
}
