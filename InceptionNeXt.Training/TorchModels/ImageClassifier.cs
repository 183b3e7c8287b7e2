using InceptionNeXt.Training.Engine;
using InceptionNeXt.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// Common shape of the zoo's models, as TorchSharp modules with timm's interface and state-dict names:
/// <see cref="forward_features"/> gives the last stage's NCHW map, <see cref="forward_head"/> pools and classifies, and
/// <see cref="forward"/> does both. They compose with any TorchSharp code (optimizers, losses, Sequential).
/// </summary>
public abstract class ImageClassifier : nn.Module<Tensor, Tensor>
{
    private nn.Module<Tensor, Tensor>? stem;
    private Sequential? stages;

    /// <summary>Creates the model for a validated config; starts the engine (<see cref="TorchEngine"/>) if needed.</summary>
    protected ImageClassifier(ModelConfig config) : base(Started(config).Name)
    {
        config.Validate();
        Config = config;
        UseChannelsLast = TorchEngine.Options?.ChannelsLast ?? true;
    }

    // The engine starts before the base constructor creates the native module, so a failed load says what to do.
    private static ModelConfig Started(ModelConfig config)
    {
        TorchEngine.EnsureInitialized();
        return config;
    }

    /// <summary>The architecture.</summary>
    public ModelConfig Config { get; private set; }

    /// <summary>Channels of the pooled backbone features (the last stage's dimension).</summary>
    public int NumFeatures => Config.Dims[^1];

    /// <summary>Size of the head's pre-logits vector.</summary>
    public abstract int PreLogitsSize { get; }

    /// <summary>Dotted name prefix of the classifier's parameters (e.g. <c>head.fc</c>).</summary>
    public abstract string ClassifierName { get; }

    /// <summary>
    /// Whether <see cref="forward_features"/> turns 4-d input channels-last first (default from
    /// <see cref="TorchEngineOptions.ChannelsLast"/>). Values are the same either way; only the speed differs. On CPU, models with a
    /// stage width that is not a multiple of 16 run channels-last either way (libtorch 2.10 computed such NCHW
    /// convolutions wrongly on an AVX-512 CPU).
    /// </summary>
    public bool UseChannelsLast { get; set; }

    /// <summary>
    /// The stem: a Sequential of a patchify or 3x3 convolution and a norm, or for <see cref="ModelConfig.Isotropic"/>
    /// models the patchify convolution alone.
    /// </summary>
    public nn.Module<Tensor, Tensor> Stem => stem ?? throw new InvalidOperationException("RegisterBackbone was not called.");

    /// <summary>The stages, in order (<see cref="Stage"/> modules), or an isotropic model's blocks.</summary>
    public Sequential Stages => stages ?? throw new InvalidOperationException("RegisterBackbone was not called.");

    /// <summary>
    /// Registers <c>stem</c> and <c>stages</c> (in that order, as timm does): one stage per entry of
    /// <see cref="ModelConfig.Depths"/>, the first without downsampling.
    /// </summary>
    protected void RegisterBackbone(nn.Module<Tensor, Tensor> stemNorm, Func<int, int, nn.Module<Tensor, Tensor>> downsample,
        Func<int, int, double, nn.Module<Tensor, Tensor>> block)
    {
        var dims = Config.Dims;
        stem = nn.Sequential(CreateStemConv(), stemNorm);
        stages = nn.Sequential();
        var rates = DropPathRates();
        for (var i = 0; i < dims.Length; i++)
        {
            var stage = i;
            stages.append(new Stage(i > 0 ? downsample(dims[i - 1], dims[i]) : nn.Identity(),
                rates[i].Select(rate => block(stage, dims[stage], rate)).ToList()));
        }
        register_module("stem", stem);
        register_module("stages", stages);
    }

    /// <summary>
    /// Registers an isotropic backbone under the official ConvNeXt names: <c>stem</c> (the given convolution) and
    /// <c>blocks</c> (one block per entry of the single stage, drop-path rates rising linearly from 0).
    /// </summary>
    protected void RegisterIsotropicBackbone(nn.Module<Tensor, Tensor> stemConv, Func<double, nn.Module<Tensor, Tensor>> block)
    {
        stem = stemConv;
        stages = nn.Sequential(DropPathRates()[0].Select(block).ToList());
        register_module("stem", stem);
        register_module("blocks", stages);
    }

    // libtorch 2.10's CPU convolution returned wrong values for NCHW fp32 inputs of 24 or 40 channels on an AVX-512
    // AMD EPYC (2x2 stride-2 conv off by 0.8-1.1 against float64; 8, 48 and 64 channels exact), while the channels-last
    // path was exact for all of them; so on CPU a model with a stage width that is not a multiple of 16 always runs
    // channels-last. Its channels-last AVX-512 kernels turned out wrong for other shapes, which the AVX2 cap on such
    // processors fixes for both formats (OneDnnIsa); this choice predates the cap and is kept as measured.
    private bool RunsChannelsLast(Tensor input) =>
        UseChannelsLast || (input.device_type == DeviceType.CPU && Config.Dims.Any(d => d % 16 != 0));

    /// <summary>Backbone: stem and stages, NCHW in, NCHW out.</summary>
    public virtual Tensor forward_features(Tensor input)
    {
        CheckInput(input);
        using var scope = NewDisposeScope();
        var x = RunsChannelsLast(input) ? input.ToChannelsLast() : input;
        return scope.MoveToOuter(Stages.call(Stem.call(x)));
    }

    /// <summary>Head: pooling, (normalisation), classifier. With <paramref name="preLogits"/> the classifier is skipped.</summary>
    public abstract Tensor forward_head(Tensor features, bool preLogits = false);

    /// <summary>Pooled backbone features (batch, <see cref="NumFeatures"/>).</summary>
    public virtual Tensor forward_pooled_features(Tensor input)
    {
        using var features = forward_features(input);
        return features.mean([2, 3]);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var features = forward_features(input);
        return forward_head(features);
    }

    /// <summary>Number of parameter elements.</summary>
    public long ParameterCount() => parameters().Sum(p => p.numel());

    /// <summary>Replaces the classifier with a freshly initialised one for <paramref name="numClasses"/> outputs.</summary>
    public void ResetClassifier(int numClasses)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numClasses);
        var fresh = ReplaceClassifier(numClasses);
        InitLayer(fresh);
        Config = Config with { NumClasses = numClasses };
    }

    /// <summary>Swaps in a new classifier layer and returns it.</summary>
    protected abstract nn.Module<Tensor, Tensor> ReplaceClassifier(int numClasses);

    /// <summary>Multiply-accumulates of one forward pass at the given input size (convolutions and linear layers).</summary>
    public virtual long CountMacs(int height, int width)
    {
        var c = Config;
        var (h, w) = c.StemStride == 1 ? ((long)height, (long)width) : ((long)height / c.StemStride, (long)width / c.StemStride);
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

    /// <summary>MACs of a convolution producing an <paramref name="outH"/> x <paramref name="outW"/> map.</summary>
    protected static long ConvMacs(long inCh, long outCh, long kh, long kw, long groups, long outH, long outW) =>
        outH * outW * outCh * (inCh / groups) * kh * kw;

    /// <summary>Rejects input the network cannot take, with a message that says why.</summary>
    protected void CheckInput(Tensor input)
    {
        var shape = input.shape;
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
        foreach (var (_, m) in named_modules()) InitLayer(m);
    }

    private static void InitLayer(nn.Module m)
    {
        using var noGrad = no_grad();
        switch (m)
        {
            case Conv2d conv:
                TruncatedNormal.Fill(conv.weight!, 0, 0.02, -2, 2);
                if (conv.bias is not null) nn.init.zeros_(conv.bias);
                break;
            case Linear linear:
                TruncatedNormal.Fill(linear.weight!, 0, 0.02, -2, 2);
                if (linear.bias is not null) nn.init.zeros_(linear.bias);
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
        ? nn.Conv2d(Config.InChannels, Config.Dims[0], 3, stride: 1, padding: 1)
        : nn.Conv2d(Config.InChannels, Config.Dims[0], Config.StemStride, stride: Config.StemStride);
}
