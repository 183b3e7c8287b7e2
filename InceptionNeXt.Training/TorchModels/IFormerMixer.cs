using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// iFormer's Inception token mixer (official <c>Mixer</c>): the first <see cref="HighDim"/> channels go to the
/// high-frequency mixer (<c>high_mixer</c>), the rest (<c>attention_heads x head_dim</c>) to the low-frequency attention
/// mixer (<c>low_mixer</c>); their concatenation gets a residual depthwise 3x3 convolution (<c>conv_fuse</c>) and a 1x1
/// projection (<c>proj</c>). NHWC in, NHWC out.
/// </summary>
public sealed class IFormerMixer : nn.Module<Tensor, Tensor>
{
    private readonly IFormerHighMixer highMixer;
    private readonly IFormerLowMixer lowMixer;
    private readonly Conv2d convFuse;
    private readonly Conv2d proj;

    /// <summary>Creates the mixer.</summary>
    /// <param name="dim">Channels.</param>
    /// <param name="numHeads">Heads the full width would have; sets the head dimension <c>dim / numHeads</c>.</param>
    /// <param name="attentionHeads">Heads of the attention branch.</param>
    /// <param name="poolSize">Average-pool factor before attention (2 in the first two stages, else 1).</param>
    public IFormerMixer(int dim, int numHeads, int attentionHeads, int poolSize) : base(nameof(IFormerMixer))
    {
        var headDim = dim / numHeads;
        LowDim = attentionHeads * headDim;
        HighDim = dim - LowDim;
        highMixer = new IFormerHighMixer(HighDim);
        lowMixer = new IFormerLowMixer(LowDim, attentionHeads, poolSize);
        var fused = LowDim + (2 * HighDim);
        convFuse = nn.Conv2d(fused, fused, 3, padding: 1, groups: fused, bias: false);
        proj = nn.Conv2d(fused, dim, 1);
        register_module("high_mixer", highMixer);
        register_module("low_mixer", lowMixer);
        register_module("conv_fuse", convFuse);
        register_module("proj", proj);
        register_module("proj_drop", nn.Dropout(0));
    }

    /// <summary>Channels of the high-frequency part.</summary>
    public int HighDim { get; }

    /// <summary>Channels of the attention part.</summary>
    public int LowDim { get; }

    /// <summary>The high-frequency mixer.</summary>
    public IFormerHighMixer HighMixer => highMixer;

    /// <summary>The attention mixer.</summary>
    public IFormerLowMixer LowMixer => lowMixer;

    /// <summary>The depthwise fusion convolution (added to its input).</summary>
    public Conv2d ConvFuse => convFuse;

    /// <summary>The output projection.</summary>
    public Conv2d Proj => proj;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = input.permute(0, 3, 1, 2);
        var hx = highMixer.call(x.narrow(1, 0, HighDim).contiguous());
        var lx = lowMixer.call(x.narrow(1, HighDim, LowDim).contiguous());
        var cat = torch.cat([hx, lx], 1);
        var y = proj.call(cat.add(convFuse.call(cat)));
        return scope.MoveToOuter(y.permute(0, 2, 3, 1).contiguous());
    }
}

/// <summary>
/// iFormer's high-frequency mixer (official <c>HighMixer</c>): half the channels through a 1x1 convolution that doubles
/// them and a depthwise 3x3 (<c>conv1</c>, <c>proj1</c>), the other half through a 3x3 max-pool and a doubling 1x1
/// convolution (<c>proj2</c>), each followed by GELU. NCHW, twice the input channels out.
/// </summary>
public sealed class IFormerHighMixer : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv1;
    private readonly Conv2d proj1;
    private readonly Conv2d proj2;

    /// <summary>Creates the mixer for <paramref name="dim"/> (even) input channels.</summary>
    public IFormerHighMixer(int dim) : base(nameof(IFormerHighMixer))
    {
        Half = dim / 2;
        conv1 = nn.Conv2d(Half, 2 * Half, 1, bias: false);
        proj1 = nn.Conv2d(2 * Half, 2 * Half, 3, padding: 1, groups: 2 * Half, bias: false);
        proj2 = nn.Conv2d(Half, 2 * Half, 1);
        register_module("conv1", conv1);
        register_module("proj1", proj1);
        register_module("mid_gelu1", nn.GELU());
        register_module("Maxpool", nn.MaxPool2d(3, stride: 1, padding: 1));
        register_module("proj2", proj2);
        register_module("mid_gelu2", nn.GELU());
    }

    /// <summary>Channels of each branch's input.</summary>
    public int Half { get; }

    /// <summary>The convolution branch's 1x1 convolution.</summary>
    public Conv2d Conv1 => conv1;

    /// <summary>The convolution branch's depthwise 3x3.</summary>
    public Conv2d Proj1 => proj1;

    /// <summary>The max-pool branch's 1x1 convolution.</summary>
    public Conv2d Proj2 => proj2;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var cx = nn.functional.gelu(proj1.call(conv1.call(input.narrow(1, 0, Half).contiguous())));
        var pooled = nn.functional.max_pool2d(input.narrow(1, Half, Half).contiguous(), 3, 1, 1);
        var px = nn.functional.gelu(proj2.call(pooled));
        return scope.MoveToOuter(torch.cat([cx, px], 1));
    }
}

/// <summary>
/// iFormer's low-frequency mixer (official <c>LowMixer</c>): multi-head self-attention (<c>qkv</c>, with bias) over the
/// tokens of the map average-pooled by <see cref="PoolSize"/>, the result upsampled back by nearest neighbour. NCHW in
/// and out.
/// </summary>
public sealed class IFormerLowMixer : nn.Module<Tensor, Tensor>
{
    private readonly Linear qkv;

    /// <summary>Creates the mixer.</summary>
    public IFormerLowMixer(int dim, int heads, int poolSize) : base(nameof(IFormerLowMixer))
    {
        Dim = dim;
        Heads = heads;
        PoolSize = poolSize;
        qkv = nn.Linear(dim, 3 * dim, hasBias: true);
        register_module("qkv", qkv);
        register_module("attn_drop", nn.Dropout(0));
    }

    /// <summary>Channels.</summary>
    public int Dim { get; }

    /// <summary>Attention heads.</summary>
    public int Heads { get; }

    /// <summary>Pooling (and upsampling) factor: 2 or 1.</summary>
    public int PoolSize { get; }

    /// <summary>Softmax temperature, <c>head_dim^-0.5</c>.</summary>
    public double Scale => Math.Pow(Dim / Heads, -0.5);

    /// <summary>The query/key/value projection.</summary>
    public Linear Qkv => qkv;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = PoolSize > 1 ? nn.functional.avg_pool2d(input, PoolSize, PoolSize, count_include_pad: false) : input;
        var (b, h, w) = (x.shape[0], x.shape[2], x.shape[3]);
        var n = h * w;
        var tokens = x.permute(0, 2, 3, 1).reshape(b, n, Dim);
        var parts = qkv.call(tokens).reshape(b, n, 3, Heads, Dim / Heads).permute(2, 0, 3, 1, 4);
        var (q, k, v) = (parts[0], parts[1], parts[2]);
        var attn = q.matmul(k.transpose(-2, -1)).mul(Scale).softmax(-1);
        var y = attn.matmul(v).transpose(2, 3).reshape(b, Dim, h, w);
        if (PoolSize > 1)
        {
            // Nearest-neighbour upsampling by an integer factor: each value repeated PoolSize x PoolSize times.
            y = y.reshape(b, Dim, h, 1, w, 1).expand(b, Dim, h, PoolSize, w, PoolSize).reshape(b, Dim, h * PoolSize, w * PoolSize);
        }
        return scope.MoveToOuter(y);
    }
}
