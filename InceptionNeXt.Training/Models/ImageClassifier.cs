using InceptionNeXt.ML.OnnxFormat;
using InceptionNeXt.Training.LibTorch;
using InceptionNeXt.Training.Modules;

namespace InceptionNeXt.Training.Models;

/// <summary>
/// Common shape of the zoo's models (timm's interface): <see cref="ForwardFeatures"/> gives the last stage's
/// NCHW map, <see cref="ForwardHead"/> pools and classifies, and <see cref="Module.Forward"/> does both.
/// </summary>
public abstract class ImageClassifier : Module
{
    /// <summary>Creates the model for a validated config.</summary>
    protected ImageClassifier(ModelConfig config)
    {
        config.Validate();
        Config = config;
    }

    /// <summary>The architecture.</summary>
    public ModelConfig Config { get; private set; }

    /// <summary>Channels of the pooled backbone features (the last stage's dimension).</summary>
    public int NumFeatures => Config.Dims[^1];

    /// <summary>Size of the head's pre-logits vector.</summary>
    public abstract int PreLogitsSize { get; }

    private Sequential? stem;
    private Sequential? stages;

    /// <summary>
    /// Registers <c>stem</c> and <c>stages</c> (in that order, as timm does): one stage per entry of
    /// <see cref="ModelConfig.Depths"/>, the first without downsampling.
    /// </summary>
    protected void RegisterBackbone(Module stemNorm, Func<int, int, Module> downsample, Func<int, int, double, Module> block)
    {
        var dims = Config.Dims;
        stem = RegisterModule("stem", new Sequential(CreateStemConv(), stemNorm));
        stages = RegisterModule("stages", new Sequential());
        var rates = DropPathRates();
        for (var i = 0; i < dims.Length; i++)
        {
            var stage = i;
            stages.Append(new Stage(i > 0 ? downsample(dims[i - 1], dims[i]) : new Identity(),
                rates[i].Select(rate => block(stage, dims[stage], rate))));
        }
    }

    private Sequential Stem => stem ?? throw new InvalidOperationException("RegisterBackbone was not called.");
    private Sequential Stages => stages ?? throw new InvalidOperationException("RegisterBackbone was not called.");

    /// <summary>Backbone: stem and stages, NCHW in, NCHW out.</summary>
    public Tensor ForwardFeatures(Tensor input)
    {
        CheckInput(input);
        using var x = Stem.Forward(input);
        return Stages.Forward(x);
    }

    /// <summary>Head: pooling, (normalisation), classifier. With <paramref name="preLogits"/> the classifier is skipped.</summary>
    public abstract Tensor ForwardHead(Tensor features, bool preLogits = false);

    /// <summary>Pooled backbone features (batch, <see cref="NumFeatures"/>).</summary>
    public Tensor ForwardPooledFeatures(Tensor input)
    {
        using var features = ForwardFeatures(input);
        return features.Mean([2, 3]);
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        using var features = ForwardFeatures(input);
        return ForwardHead(features);
    }

    /// <summary>
    /// Adds the eval-mode network to an ONNX graph: returns the pooled backbone features (N, C), the head's
    /// pre-logits and the logits.
    /// </summary>
    public (string Features, string PreLogits, string Logits) ExportOnnxGraph(OnnxGraph graph, string input)
    {
        var map = Stages.ExportOnnx(graph, Stem.ExportOnnx(graph, input));
        var pooled = graph.AddNode("ReduceMean", [map], "pooled", OnnxAttribute.Ints("axes", 2, 3), OnnxAttribute.Int("keepdims", 0));
        var (preLogits, logits) = ExportHead(graph, pooled);
        return (pooled, preLogits, logits);
    }

    /// <summary>Adds the head to an ONNX graph from the pooled (N, C) features; returns pre-logits and logits.</summary>
    protected abstract (string PreLogits, string Logits) ExportHead(OnnxGraph graph, string pooled);

    /// <summary>Replaces the classifier with a freshly initialised one for <paramref name="numClasses"/> outputs.</summary>
    public void ResetClassifier(int numClasses)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numClasses);
        var fresh = ReplaceClassifier(numClasses);
        foreach (var (_, m) in fresh.NamedModules()) InitLayer(m);
        Config = Config with { NumClasses = numClasses };
    }

    /// <summary>Swaps in a new classifier layer and returns it.</summary>
    protected abstract Module ReplaceClassifier(int numClasses);

    /// <summary>Dotted name prefix of the classifier's parameters (e.g. <c>head.fc</c>).</summary>
    public abstract string ClassifierName { get; }

    /// <summary>Multiply-accumulates of one forward pass at the given input size (convolutions and linear layers).</summary>
    public long CountMacs(int height, int width)
    {
        var c = Config;
        var (h, w) = StemOutput(height, width);
        var k = c.StemStride == 1 ? 3 : c.StemStride;
        var macs = ConvMacs(c.InChannels, c.Dims[0], k, k, 1, h, w);
        for (var s = 0; s < c.Dims.Length; s++)
        {
            if (s > 0)
            {
                h /= 2;
                w /= 2;
                macs += ConvMacs(c.Dims[s - 1], c.Dims[s], 2, 2, 1, h, w);
            }
            macs += BlockMacs(s, h, w) * c.Depths[s];
        }
        return macs + HeadMacs();
    }

    /// <summary>MACs of one block of stage <paramref name="stage"/> on an <paramref name="h"/> x <paramref name="w"/> map.</summary>
    protected abstract long BlockMacs(int stage, long h, long w);

    /// <summary>MACs of the head's linear layers.</summary>
    protected abstract long HeadMacs();

    /// <summary>Rejects input the network cannot take, with a message that says why.</summary>
    protected void CheckInput(Tensor input)
    {
        var shape = input.Shape;
        if (shape.Length != 4)
            throw new ArgumentException($"{Config.Name} expects a 4-d NCHW batch, got shape [{string.Join(", ", shape)}].", nameof(input));
        if (shape[1] != Config.InChannels)
            throw new ArgumentException(
                $"{Config.Name} expects {Config.InChannels} input channels, got {shape[1]} (shape [{string.Join(", ", shape)}]).", nameof(input));
        var min = Config.MinInputSize;
        if (shape[2] < min || shape[3] < min)
            throw new ArgumentException(
                $"{Config.Name} needs images of at least {min}x{min} pixels (stem stride {Config.StemStride}, " +
                $"{Config.Depths.Length} stages), got {shape[2]}x{shape[3]}; use a smaller --stem-stride for small images.", nameof(input));
    }

    /// <summary>timm initialisation: conv and linear weights trunc-normal(0.02), biases zero.</summary>
    protected void InitWeights()
    {
        foreach (var (_, m) in NamedModules()) InitLayer(m);
    }

    private static void InitLayer(Module m)
    {
        switch (m)
        {
            case Conv2d conv:
                Init.TruncNormal(conv.Weight, std: 0.02);
                if (conv.Bias is not null) conv.Bias.Fill(0);
                break;
            case Linear linear:
                Init.TruncNormal(linear.Weight, std: 0.02);
                if (linear.Bias is not null) linear.Bias.Fill(0);
                break;
        }
    }

    /// <summary>Stochastic-depth rate per block: linear from 0 to <see cref="ModelConfig.DropPathRate"/>, split by stage.</summary>
    private double[][] DropPathRates()
    {
        var total = Config.Depths.Sum();
        var rates = new double[Config.Depths.Length][];
        var index = 0;
        for (var s = 0; s < rates.Length; s++)
        {
            rates[s] = new double[Config.Depths[s]];
            for (var j = 0; j < rates[s].Length; j++, index++)
                rates[s][j] = total == 1 ? 0 : Config.DropPathRate * index / (total - 1);
        }
        return rates;
    }

    /// <summary>The stem: a patchify conv (kernel = stride) for stride 4 and 2; a 3x3 conv for stride 1.</summary>
    private Conv2d CreateStemConv() => Config.StemStride == 1
        ? new Conv2d(Config.InChannels, Config.Dims[0], 3, 1, 1)
        : new Conv2d(Config.InChannels, Config.Dims[0], Config.StemStride, Config.StemStride);

    /// <summary>Spatial size after the stem.</summary>
    private (long H, long W) StemOutput(int height, int width) => Config.StemStride == 1
        ? (height, width)
        : (height / Config.StemStride, width / Config.StemStride);

    /// <summary>MACs of a convolution producing an <paramref name="outH"/> x <paramref name="outW"/> map.</summary>
    protected static long ConvMacs(long inCh, long outCh, long kh, long kw, long groups, long outH, long outW) =>
        outH * outW * outCh * (inCh / groups) * kh * kw;
}
