using InceptionNeXt.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// iFormer (Inception Transformer, NeurIPS 2022) as a TorchSharp module with the official sail-sg/iFormer state-dict
/// names: <c>patch_embed.{proj1,norm1,proj2,norm2}</c>, <c>pos_embed1..4</c>, <c>blocks1..4.N</c>
/// (<see cref="IFormerBlock"/>), <c>patch_embed2..4.{proj,norm}</c>, <c>norm</c> and <c>head</c>, so the official
/// checkpoints load strictly. Between blocks the tokens are NHWC, as in the official code;
/// <see cref="forward_features"/> returns the last stage's NCHW map and <see cref="forward_head"/> the official head
/// (LayerNorm per token, mean over tokens, linear).
/// </summary>
public sealed class IFormerModel : ImageClassifier
{
    private readonly nn.Module<Tensor, Tensor>[] embeds = new nn.Module<Tensor, Tensor>[4];
    private readonly Sequential[] blocks = new Sequential[4];
    private readonly int[] grids = new int[4];
    private readonly LayerNorm norm;
    private readonly Dropout headDrop;
    private nn.Module<Tensor, Tensor> head;

    /// <summary>Builds the model from a config of family <see cref="ModelFamily.IFormer"/>.</summary>
    public IFormerModel(ModelConfig config) : base(config)
    {
        if (config.Family != ModelFamily.IFormer)
            throw new ArgumentException($"{config.Name} is a {config.Family} config, not IFormer.", nameof(config));
        var dims = config.Dims;
        var total = config.Depths.Sum();
        var grid = config.PosEmbedSize / 4;
        var index = 0;
        for (var s = 0; s < 4; s++)
        {
            embeds[s] = s == 0 ? new IFormerFirstPatchEmbed(config.InChannels, dims[0]) : new IFormerPatchEmbed(dims[s - 1], dims[s]);
            register_module(s == 0 ? "patch_embed" : $"patch_embed{s + 1}", embeds[s]);
            grids[s] = grid;
            register_parameter(PosEmbedName(s), new Parameter(zeros(1, grid, grid, dims[s])));
            blocks[s] = nn.Sequential();
            for (var j = 0; j < config.Depths[s]; j++, index++)
            {
                var rate = total == 1 ? 0 : config.DropPathRate * index / (total - 1);
                blocks[s].append(new IFormerBlock(dims[s], config.NumHeads[s], config.AttentionHeads[index], s < 2 ? 2 : 1,
                    config.MlpRatios[s], rate, s >= 2 ? config.LayerScaleInit : null));
            }
            register_module($"blocks{s + 1}", blocks[s]);
            grid /= 2;
        }
        norm = nn.LayerNorm(dims[^1], eps: 1e-6);
        headDrop = nn.Dropout(config.DropRate);
        head = CreateClassifier(config.NumClasses);
        register_module("norm", norm);
        register_module("head_drop", headDrop);
        register_module("head", head);
        InitWeights();
        using var noGrad = no_grad();
        foreach (var p in PosEmbeds) TruncatedNormal.Fill(p, 0, 0.02, -2, 2);
    }

    /// <summary>The stage embeddings: <see cref="IFormerFirstPatchEmbed"/>, then three <see cref="IFormerPatchEmbed"/>.</summary>
    public IReadOnlyList<nn.Module<Tensor, Tensor>> PatchEmbeds => embeds;

    /// <summary>The positional embeddings (1, grid, grid, dim), one per stage.</summary>
    public IReadOnlyList<Parameter> PosEmbeds => Enumerable.Range(0, 4).Select(PosEmbed).ToList();

    // Looked up by name at each use: Module.to() (another device or dtype) replaces registered parameters, and an array
    // field would keep the disposed originals (float64 or CUDA copies of iFormer failed with "empty handle").
    private static string PosEmbedName(int stage) => $"pos_embed{stage + 1}";

    private Parameter PosEmbed(int stage) =>
        get_parameter(PosEmbedName(stage)) ?? throw new InvalidOperationException($"{PosEmbedName(stage)} is not registered.");

    /// <summary>The blocks of each stage (<see cref="IFormerBlock"/>).</summary>
    public IReadOnlyList<Sequential> Blocks => blocks;

    /// <summary>The final LayerNorm (applied to every token before pooling).</summary>
    public LayerNorm Norm => norm;

    /// <summary>The classifier (a Linear, or an Identity with no classes).</summary>
    public nn.Module<Tensor, Tensor> Head => head;

    /// <inheritdoc/>
    public override int PreLogitsSize => NumFeatures;

    /// <inheritdoc/>
    public override string ClassifierName => "head";

    /// <summary>
    /// The positional embedding of stage <paramref name="stage"/> for an <paramref name="h"/> x <paramref name="w"/>
    /// map, NHWC: the stored grid when the token count matches (the official test), else resized bilinearly
    /// (align_corners false).
    /// </summary>
    public Tensor PositionalEmbedding(int stage, long h, long w)
    {
        var pos = PosEmbed(stage);
        if (h * w == (long)grids[stage] * grids[stage]) return pos.alias();
        using var scope = NewDisposeScope();
        var resized = nn.functional.interpolate(pos.permute(0, 3, 1, 2), size: [h, w], mode: InterpolationMode.Bilinear,
            align_corners: false);
        return scope.MoveToOuter(resized.permute(0, 2, 3, 1));
    }

    /// <inheritdoc/>
    public override Tensor forward_features(Tensor input)
    {
        CheckInput(input);
        CheckEvenAttentionMaps(input.shape[2], input.shape[3]);
        using var scope = NewDisposeScope();
        var x = input;
        for (var s = 0; s < 4; s++)
        {
            if (s > 0) x = x.permute(0, 3, 1, 2);
            x = embeds[s].call(x);
            x = x.add(PositionalEmbedding(s, x.shape[1], x.shape[2]));
            x = blocks[s].call(x);
        }
        return scope.MoveToOuter(x.permute(0, 3, 1, 2));
    }

    /// <summary>The official head: LayerNorm on every token, mean over tokens, dropout, linear. NCHW features in.</summary>
    public override Tensor forward_head(Tensor features, bool preLogits = false)
    {
        using var scope = NewDisposeScope();
        var pooled = norm.call(features.permute(0, 2, 3, 1).flatten(1, 2)).mean([1]);
        return scope.MoveToOuter(preLogits ? pooled : head.call(headDrop.call(pooled)));
    }

    /// <summary>The official <c>forward_features</c> output: the mean of the LayerNorm-ed tokens (batch, <see cref="ImageClassifier.NumFeatures"/>).</summary>
    public override Tensor forward_pooled_features(Tensor input)
    {
        using var features = forward_features(input);
        return forward_head(features, preLogits: true);
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
        numClasses > 0 ? nn.Linear(Config.Dims[^1], numClasses) : nn.Identity();

    /// <summary>
    /// Multiply-accumulates of one forward pass: convolutions, linear layers and the attention matmuls
    /// (<c>q k^T</c> and <c>attn v</c>).
    /// </summary>
    public override long CountMacs(int height, int width)
    {
        var c = Config;
        long h = Half(Half(height)), w = Half(Half(width));
        var macs = ConvMacs(c.InChannels, c.Dims[0] / 2, 3, 3, 1, Half(height), Half(width))
                   + ConvMacs(c.Dims[0] / 2, c.Dims[0], 3, 3, 1, h, w);
        var index = 0;
        for (var s = 0; s < 4; s++)
        {
            if (s > 0)
            {
                (h, w) = (Half(h), Half(w));
                macs += ConvMacs(c.Dims[s - 1], c.Dims[s], 3, 3, 1, h, w);
            }
            var dim = c.Dims[s];
            var headDim = dim / c.NumHeads[s];
            var pool = s < 2 ? 2 : 1;
            for (var j = 0; j < c.Depths[s]; j++, index++)
            {
                long low = c.AttentionHeads[index] * headDim;
                var high = dim - low;
                var half = high / 2;
                var fused = low + (2 * high);
                var tokens = h / pool * (w / pool);
                macs += ConvMacs(half, high, 1, 1, 1, h, w) + ConvMacs(high, high, 3, 3, high, h, w) + ConvMacs(half, high, 1, 1, 1, h, w)
                        + (tokens * low * 3 * low) + (2 * tokens * tokens * low)
                        + ConvMacs(fused, fused, 3, 3, fused, h, w) + ConvMacs(fused, dim, 1, 1, 1, h, w)
                        + (2 * h * w * dim * (long)(c.MlpRatios[s] * dim));
            }
        }
        return macs + HeadMacs();
    }

    /// <inheritdoc/>
    protected override long BlockMacs(int stage, long h, long w) =>
        throw new NotSupportedException("iFormer counts its MACs per block in CountMacs (the attention split changes per block).");

    /// <inheritdoc/>
    protected override long HeadMacs() => (long)Config.Dims[^1] * Config.NumClasses;

    private static long Half(long size) => (size + 1) / 2;

    private void CheckEvenAttentionMaps(long height, long width)
    {
        // The first two stages average-pool 2x2 before attention and upsample back, so their maps need even sides.
        long h1 = Half(Half(height)), w1 = Half(Half(width));
        if (h1 % 2 != 0 || w1 % 2 != 0 || Half(h1) % 2 != 0 || Half(w1) % 2 != 0)
            throw new ArgumentException(
                $"{Config.Name} needs input sides whose 1/4 and 1/8 maps are even (multiples of 16 work), got {height}x{width}.");
    }
}
