using InceptionNeXt.ML.OnnxFormat;
using InceptionNeXt.Training.LibTorch;
using InceptionNeXt.Training.Modules;

namespace InceptionNeXt.Training.Models;

/// <summary>How <see cref="InceptionDWConv2d"/> is written to ONNX.</summary>
public enum MixerOnnxForm
{
    /// <summary>
    /// Three depthwise convolutions over all channels, summed (zero kernel outside each branch, a centre tap of 1 on the
    /// identity channels): no Split or Concat, so ONNX Runtime's CPU provider keeps whole blocks in its NCHWc layout.
    /// </summary>
    Fused,

    /// <summary>The literal graph: Split, three depthwise convolutions on their channel groups, Concat.</summary>
    Split,
}

/// <summary>
/// Inception depthwise convolution: the channels are split into an identity part and three branches
/// (3x3, 1xk, kx1 depthwise convs), in that order, and concatenated back.
/// </summary>
public sealed class InceptionDWConv2d : Module
{
    private readonly Conv2d dwconvHw;
    private readonly Conv2d dwconvW;
    private readonly Conv2d dwconvH;
    private readonly long[] splits;

    /// <summary>Creates the mixer for <paramref name="channels"/> channels.</summary>
    public InceptionDWConv2d(int channels, int squareKernel = 3, int bandKernel = 11, double branchRatio = 0.125)
    {
        var gc = (int)(channels * branchRatio);
        dwconvHw = RegisterModule("dwconv_hw", new Conv2d(gc, gc, squareKernel, padding: squareKernel / 2, groups: gc));
        dwconvW = RegisterModule("dwconv_w", new Conv2d(gc, gc, (1, bandKernel), padding: (0, bandKernel / 2), groups: gc));
        dwconvH = RegisterModule("dwconv_h", new Conv2d(gc, gc, (bandKernel, 1), padding: (bandKernel / 2, 0), groups: gc));
        splits = [channels - 3 * gc, gc, gc, gc];
    }

    /// <summary>How <see cref="ExportOnnx"/> writes the mixer (the exporter sets it from its options).</summary>
    public MixerOnnxForm OnnxForm { get; set; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var parts = input.Split(splits, 1);
        try
        {
            using var hw = dwconvHw.Forward(parts[1]);
            using var w = dwconvW.Forward(parts[2]);
            using var h = dwconvH.Forward(parts[3]);
            return Torch.Cat([parts[0], hw, w, h], 1);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    /// <summary>Exported in the form <see cref="OnnxForm"/> says.</summary>
    public override string ExportOnnx(OnnxGraph graph, string input) =>
        OnnxForm == MixerOnnxForm.Split ? ExportSplit(graph, input) : ExportFused(graph, input);

    private string ExportSplit(OnnxGraph graph, string input)
    {
        // A zero-width identity part (branch ratio 1/3) is left out of Split/Concat.
        var hasIdentity = splits[0] > 0;
        long[] sizes = hasIdentity ? splits : splits[1..];
        var parts = graph.AddNode("Split", [input, graph.AddInt64Initializer("split_sizes", sizes)],
            sizes.Select((_, i) => $"mixer_part{i}").ToArray(), OnnxAttribute.Int("axis", 1));
        var offset = hasIdentity ? 1 : 0;
        var outputs = new List<string>();
        if (hasIdentity) outputs.Add(parts[0]);
        outputs.Add(dwconvHw.ExportOnnx(graph, parts[offset]));
        outputs.Add(dwconvW.ExportOnnx(graph, parts[offset + 1]));
        outputs.Add(dwconvH.ExportOnnx(graph, parts[offset + 2]));
        return graph.AddNode("Concat", outputs, "mixer", OnnxAttribute.Int("axis", 1));
    }

    /// <summary>
    /// Three depthwise convolutions over all channels, summed: each branch's kernel is zero outside its own channels
    /// and the identity channels get a centre tap of 1. The outputs are the same up to float rounding (the extra terms
    /// are exact zeros; the default model's logits moved by at most 1.4e-6), but without Split and Concat ONNX Runtime
    /// keeps the whole block in its blocked NCHWc layout instead of reordering around every mixer; the extra
    /// depthwise work adds 1.4% (tiny) to 2.8% (atto) to the MACs. BENCHMARKS.md: 1.08x-1.10x faster for atto at
    /// 224 px, 1.15x for the default 32 px model, 0.99x-1.02x for tiny.
    /// </summary>
    private string ExportFused(OnnxGraph graph, string input)
    {
        long channels = splits.Sum();
        var identity = (int)splits[0];
        var gc = (int)splits[1];
        (Conv2d Conv, int Offset)[] branches = [(dwconvHw, identity), (dwconvW, identity + gc), (dwconvH, identity + (2 * gc))];
        var bias = new float[channels];
        foreach (var (conv, offset) in branches) conv.Bias?.ToFloatArray().CopyTo(bias, offset);

        string? sum = null;
        foreach (var (conv, offset) in branches)
        {
            var (kh, kw) = conv.Kernel;
            var taps = (int)(kh * kw);
            var weight = new float[channels * taps];
            conv.Weight.ToFloatArray().CopyTo(weight, offset * taps);
            if (sum is null)
            {
                // The first (square) convolution also passes the identity channels through and carries every bias.
                var centre = (int)((kh / 2 * kw) + (kw / 2));
                for (var c = 0; c < identity; c++) weight[(c * taps) + centre] = 1f;
            }

            var inputs = new List<string> { input, graph.AddInitializer("mixer_weight", weight, channels, 1, kh, kw) };
            if (sum is null) inputs.Add(graph.AddInitializer("mixer_bias", bias, channels));

            var y = graph.AddNode("Conv", inputs, "mixer_conv",
                OnnxAttribute.Ints("kernel_shape", kh, kw),
                OnnxAttribute.Ints("strides", 1, 1),
                OnnxAttribute.Ints("pads", conv.Padding.H, conv.Padding.W, conv.Padding.H, conv.Padding.W),
                OnnxAttribute.Ints("dilations", 1, 1),
                OnnxAttribute.Int("group", channels));
            sum = sum is null ? y : graph.AddNode("Add", [sum, y], "mixer");
        }

        return sum!;
    }
}

/// <summary>MetaNeXt block: token mixer, BatchNorm, conv MLP, layer scale, drop path, residual.</summary>
public sealed class MetaNeXtBlock : Module
{
    private readonly InceptionDWConv2d tokenMixer;
    private readonly BatchNorm2d norm;
    private readonly ConvMlp mlp;
    private readonly Parameter gamma;
    private readonly DropPath? dropPath;

    /// <summary>Creates the block.</summary>
    public MetaNeXtBlock(int dim, ModelConfig config, double mlpRatio, double dropPathRate)
    {
        tokenMixer = RegisterModule("token_mixer", new InceptionDWConv2d(dim, config.SquareKernelSize, config.BandKernelSize, config.BranchRatio));
        norm = RegisterModule("norm", new BatchNorm2d(dim));
        mlp = RegisterModule("mlp", new ConvMlp(dim, (long)(mlpRatio * dim)));
        using (var g = Torch.Full([dim], config.LayerScaleInit)) gamma = RegisterParameter("gamma", new Parameter(g))!;
        if (dropPathRate > 0) dropPath = RegisterModule("drop_path", new DropPath(dropPathRate));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        using var mixed = tokenMixer.Forward(input);
        using var normed = norm.Forward(mixed);
        using var y = mlp.Forward(normed);
        using var g = gamma.Reshape(1, -1, 1, 1);
        using var scaled = y.Mul(g);
        if (dropPath is null) return scaled.Add(input);
        using var dropped = dropPath.Forward(scaled);
        return dropped.Add(input);
    }

    /// <summary>Exported with the BatchNorm folded into mlp.fc1 and the layer scale as one Mul.</summary>
    public override string ExportOnnx(OnnxGraph graph, string input)
    {
        var mixed = tokenMixer.ExportOnnx(graph, input);
        var y = mlp.ExportOnnx(graph, mixed, norm);
        var scaled = graph.AddNode("Mul", [y, graph.AddInitializer("gamma", gamma.ToFloatArray(), gamma.Numel, 1, 1)], "layer_scale");
        return graph.AddNode("Add", [scaled, input], "residual");
    }
}

/// <summary>InceptionNeXt's head: average pool, fc1 (3x), GELU, LayerNorm, dropout, fc2.</summary>
public sealed class MlpClassifierHead : Module
{
    private readonly Linear fc1;
    private readonly LayerNorm norm;
    private readonly Dropout drop;
    private Module fc2;

    /// <summary>Creates the head.</summary>
    public MlpClassifierHead(int inFeatures, int numClasses, double mlpRatio = 3, double dropRate = 0)
    {
        HiddenSize = (int)(mlpRatio * inFeatures);
        fc1 = RegisterModule("fc1", new Linear(inFeatures, HiddenSize));
        RegisterModule("act", new GELU());
        norm = RegisterModule("norm", new LayerNorm(HiddenSize, 1e-6));
        fc2 = RegisterModule("fc2", CreateClassifier(numClasses));
        drop = RegisterModule("drop", new Dropout(dropRate));
    }

    /// <summary>Width of fc1 (the pre-logits size).</summary>
    public int HiddenSize { get; }

    internal Module ResetClassifier(int numClasses) => fc2 = ReplaceModule("fc2", CreateClassifier(numClasses));

    private Module CreateClassifier(int numClasses) => numClasses > 0 ? new Linear(HiddenSize, numClasses) : new Identity();

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Forward(input, false);

    /// <summary>Runs the head; with <paramref name="preLogits"/> stops before fc2.</summary>
    public Tensor Forward(Tensor input, bool preLogits)
    {
        using var pooled = input.Mean([2, 3]);
        using var h = fc1.Forward(pooled);
        using var a = Functional.Gelu(h);
        using var n = norm.Forward(a);
        using var d = drop.Forward(n);
        return preLogits ? d.Alias() : fc2.Forward(d);
    }

    /// <summary>Exports the head; returns the pre-logits and logits values.</summary>
    public (string PreLogits, string Logits) ExportHead(OnnxGraph graph, string pooled)
    {
        var hidden = GELU.Export(graph, fc1.ExportOnnx(graph, pooled));
        var preLogits = norm.ExportOnnx(graph, hidden);
        return (preLogits, fc2.ExportOnnx(graph, preLogits));
    }
}

/// <summary>
/// InceptionNeXt (CVPR 2024), timm's MetaNeXt layout so official and timm checkpoints load unchanged:
/// <c>stem.0/1</c>, <c>stages.N.downsample.0/1</c>, <c>stages.N.blocks.M.{token_mixer,norm,mlp,gamma}</c>, <c>head.fc1/norm/fc2</c>.
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
            new BatchNorm2d(config.Dims[0]),
            (inDim, outDim) => new Sequential(new BatchNorm2d(inDim), new Conv2d(inDim, outDim, 2, 2)),
            (stage, dim, rate) => new MetaNeXtBlock(dim, config, config.MlpRatios[stage], rate));
        head = RegisterModule("head", new MlpClassifierHead(config.Dims[^1], config.NumClasses, 3, config.DropRate));
        InitWeights();
    }

    /// <inheritdoc/>
    public override int PreLogitsSize => head.HiddenSize;

    /// <inheritdoc/>
    public override string ClassifierName => "head.fc2";

    /// <inheritdoc/>
    public override Tensor ForwardHead(Tensor features, bool preLogits = false) => head.Forward(features, preLogits);

    /// <inheritdoc/>
    protected override Module ReplaceClassifier(int numClasses) => head.ResetClassifier(numClasses);

    /// <inheritdoc/>
    protected override (string PreLogits, string Logits) ExportHead(OnnxGraph graph, string pooled) => head.ExportHead(graph, pooled);

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

    /// <summary>The named variants of this family (timm's <c>inception_next_*</c> plus the ablation knobs as options).</summary>
    public static IEnumerable<ModelConfig> Variants()
    {
        var baseConfig = new ModelConfig { Family = ModelFamily.InceptionNeXt, MlpRatios = [4, 4, 4, 3] };
        yield return baseConfig with { Name = "inceptionnext_atto", Depths = [2, 2, 6, 2], Dims = [40, 80, 160, 320], BandKernelSize = 9, BranchRatio = 0.25 };
        yield return baseConfig with { Name = "inceptionnext_tiny", Depths = [3, 3, 9, 3], Dims = [96, 192, 384, 768] };
        yield return baseConfig with { Name = "inceptionnext_small", Depths = [3, 3, 27, 3], Dims = [96, 192, 384, 768] };
        yield return baseConfig with { Name = "inceptionnext_base", Depths = [3, 3, 27, 3], Dims = [128, 256, 512, 1024] };
        yield return baseConfig with
        {
            Name = "inceptionnext_base_384", Depths = [3, 3, 27, 3], Dims = [128, 256, 512, 1024],
            Preprocessing = PreprocessingConfig.ImageNet with { InputSize = 384, CropPct = 1.0 },
        };
    }
}
