using InceptionNeXt.ML.OnnxFormat;
using InceptionNeXt.Training.LibTorch;
using InceptionNeXt.Training.Modules;

namespace InceptionNeXt.Training.Models;

/// <summary>
/// Depthwise conv on a fraction of the channels (the InceptionNeXt paper's partial-channel ConvNeXt ablation):
/// the first channels pass unchanged, the last ones go through <c>conv</c>.
/// </summary>
public sealed class PartialConv2d : Module
{
    private readonly Conv2d conv;
    private readonly long[] splits;

    /// <summary>Creates the layer.</summary>
    public PartialConv2d(int channels, int kernel, double ratio)
    {
        var convChannels = Math.Max(1, (int)(channels * ratio));
        conv = RegisterModule("conv", new Conv2d(convChannels, convChannels, kernel, padding: kernel / 2, groups: convChannels));
        splits = [channels - convChannels, convChannels];
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var parts = input.Split(splits, 1);
        try
        {
            using var y = conv.Forward(parts[1]);
            return Torch.Cat([parts[0], y], 1);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }

    /// <inheritdoc/>
    public override string ExportOnnx(OnnxGraph graph, string input)
    {
        if (splits[0] == 0) return conv.ExportOnnx(graph, input);
        var parts = graph.AddNode("Split", [input, graph.AddInt64Initializer("split_sizes", splits)], ["identity", "partial"],
            OnnxAttribute.Int("axis", 1));
        return graph.AddNode("Concat", [parts[0], conv.ExportOnnx(graph, parts[1])], "partial_conv", OnnxAttribute.Int("axis", 1));
    }
}

/// <summary>ConvNeXt block (timm layout): depthwise conv, LayerNorm, MLP, layer scale, drop path, residual.</summary>
public sealed class ConvNeXtBlock : Module
{
    private readonly Module convDw;
    private readonly LayerNorm norm;
    private readonly Module mlp;
    private readonly Parameter gamma;
    private readonly DropPath? dropPath;
    private readonly bool convMlp;

    /// <summary>Creates the block.</summary>
    public ConvNeXtBlock(int dim, ModelConfig config, double mlpRatio, double dropPathRate)
    {
        convMlp = config.ConvMlp;
        var k = config.KernelSize;
        convDw = RegisterModule<Module>("conv_dw", config.PartialRatio < 1
            ? new PartialConv2d(dim, k, config.PartialRatio)
            : new Conv2d(dim, dim, k, padding: k / 2, groups: dim));
        norm = RegisterModule<LayerNorm>("norm", convMlp ? new LayerNorm2d(dim) : new LayerNorm(dim, 1e-6));
        var hidden = (long)(mlpRatio * dim);
        mlp = RegisterModule<Module>("mlp", convMlp ? new ConvMlp(dim, hidden) : new Mlp(dim, hidden));
        using (var g = Torch.Full([dim], config.LayerScaleInit)) gamma = RegisterParameter("gamma", new Parameter(g))!;
        RegisterModule("shortcut", new Identity());
        if (dropPathRate > 0) dropPath = RegisterModule("drop_path", new DropPath(dropPathRate));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        using var x = convDw.Forward(input);
        Tensor y;
        if (convMlp)
        {
            using var n = norm.Forward(x);
            y = mlp.Forward(n);
        }
        else
        {
            using var nhwc = x.Permute(0, 2, 3, 1);
            using var n = norm.Forward(nhwc);
            using var m = mlp.Forward(n);
            y = m.Permute(0, 3, 1, 2);
        }
        using (y)
        {
            using var g = gamma.Reshape(1, -1, 1, 1);
            using var scaled = y.Mul(g);
            if (dropPath is null) return scaled.Add(input);
            using var dropped = dropPath.Forward(scaled);
            return dropped.Add(input);
        }
    }

    /// <inheritdoc/>
    public override string ExportOnnx(OnnxGraph graph, string input)
    {
        var x = convDw.ExportOnnx(graph, input);
        string y;
        if (convMlp) y = mlp.ExportOnnx(graph, norm.ExportOnnx(graph, x));
        else
        {
            var nhwc = graph.AddNode("Transpose", [x], "nhwc", OnnxAttribute.Ints("perm", 0, 2, 3, 1));
            var m = mlp.ExportOnnx(graph, norm.ExportOnnx(graph, nhwc));
            y = graph.AddNode("Transpose", [m], "nchw", OnnxAttribute.Ints("perm", 0, 3, 1, 2));
        }
        var scaled = graph.AddNode("Mul", [y, graph.AddInitializer("gamma", gamma.ToFloatArray(), gamma.Numel, 1, 1)], "layer_scale");
        return graph.AddNode("Add", [scaled, input], "residual");
    }
}

/// <summary>ConvNeXt's head (timm's NormMlpClassifierHead): average pool, LayerNorm2d, flatten, dropout, fc.</summary>
public sealed class NormClassifierHead : Module
{
    private readonly LayerNorm2d norm;
    private readonly Dropout drop;
    private readonly int inFeatures;
    private Module fc;

    /// <summary>Creates the head.</summary>
    public NormClassifierHead(int inFeatures, int numClasses, double dropRate)
    {
        this.inFeatures = inFeatures;
        norm = RegisterModule("norm", new LayerNorm2d(inFeatures));
        RegisterModule("pre_logits", new Identity());
        drop = RegisterModule("drop", new Dropout(dropRate));
        fc = RegisterModule("fc", CreateClassifier(numClasses));
    }

    internal Module ResetClassifier(int numClasses) => fc = ReplaceModule("fc", CreateClassifier(numClasses));

    private Module CreateClassifier(int numClasses) => numClasses > 0 ? new Linear(inFeatures, numClasses) : new Identity();

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Forward(input, false);

    /// <summary>Runs the head; with <paramref name="preLogits"/> stops before fc.</summary>
    public Tensor Forward(Tensor input, bool preLogits)
    {
        using var pooled = input.Mean([2, 3], keepDim: true);
        using var n = norm.Forward(pooled);
        using var flat = n.Flatten(1);
        using var d = drop.Forward(flat);
        return preLogits ? d.Alias() : fc.Forward(d);
    }

    /// <summary>Exports the head from the pooled (N, C) features; returns the pre-logits and logits values.</summary>
    public (string PreLogits, string Logits) ExportHead(OnnxGraph graph, string pooled)
    {
        // On the flattened (N, C) vector the channel LayerNorm is a plain last-dimension LayerNorm.
        var preLogits = norm.ExportLastDim(graph, pooled);
        return (preLogits, fc.ExportOnnx(graph, preLogits));
    }
}

/// <summary>
/// ConvNeXt in timm's layout (<c>stem.0/1</c>, <c>stages.N.downsample.0/1</c>,
/// <c>stages.N.blocks.M.{conv_dw,norm,mlp.fc1,mlp.fc2,gamma}</c>, <c>head.norm</c>, <c>head.fc</c>).
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
            (inDim, outDim) => new Sequential(new LayerNorm2d(inDim), new Conv2d(inDim, outDim, 2, 2)),
            (stage, dim, rate) => new ConvNeXtBlock(dim, config, config.MlpRatios[stage], rate));
        RegisterModule("norm_pre", new Identity());
        head = RegisterModule("head", new NormClassifierHead(config.Dims[^1], config.NumClasses, config.DropRate));
        InitWeights();
    }

    /// <inheritdoc/>
    public override int PreLogitsSize => NumFeatures;

    /// <inheritdoc/>
    public override string ClassifierName => "head.fc";

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
        var convChannels = c.PartialRatio < 1 ? Math.Max(1, (long)(dim * c.PartialRatio)) : dim;
        var hidden = (long)(c.MlpRatios[stage] * dim);
        return ConvMacs(convChannels, convChannels, c.KernelSize, c.KernelSize, convChannels, h, w) + 2 * h * w * dim * hidden;
    }

    /// <inheritdoc/>
    protected override long HeadMacs() => (long)Config.Dims[^1] * Config.NumClasses;

    /// <summary>The named variants: timm's convnext_atto..base and the InceptionNeXt paper's kernel / partial-channel ablations.</summary>
    public static IEnumerable<ModelConfig> Variants()
    {
        var b = new ModelConfig { Family = ModelFamily.ConvNeXt, MlpRatios = [4, 4, 4, 4] };
        yield return b with { Name = "convnext_atto", Depths = [2, 2, 6, 2], Dims = [40, 80, 160, 320], ConvMlp = true };
        yield return b with { Name = "convnext_femto", Depths = [2, 2, 6, 2], Dims = [48, 96, 192, 384], ConvMlp = true };
        yield return b with { Name = "convnext_pico", Depths = [2, 2, 6, 2], Dims = [64, 128, 256, 512], ConvMlp = true };
        yield return b with { Name = "convnext_nano", Depths = [2, 2, 8, 2], Dims = [80, 160, 320, 640], ConvMlp = true };
        var tiny = b with { Name = "convnext_tiny", Depths = [3, 3, 9, 3], Dims = [96, 192, 384, 768] };
        yield return tiny;
        yield return b with { Name = "convnext_small", Depths = [3, 3, 27, 3], Dims = [96, 192, 384, 768] };
        yield return b with { Name = "convnext_base", Depths = [3, 3, 27, 3], Dims = [128, 256, 512, 1024] };
        yield return tiny with { Name = "convnext_tiny_k5", KernelSize = 5 };
        yield return tiny with { Name = "convnext_tiny_k3", KernelSize = 3 };
        foreach (var (suffix, ratio) in new[] { ("1_2", 0.5), ("3_8", 0.375), ("1_4", 0.25), ("1_8", 0.125), ("1_16", 0.0625) })
            yield return tiny with { Name = $"convnext_tiny_k3_par{suffix}", KernelSize = 3, PartialRatio = ratio };
    }
}
