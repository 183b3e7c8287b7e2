using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// iFormer block on NHWC tokens: <c>x + ls1 * attn(norm1(x))</c>, then <c>x + ls2 * mlp(norm2(x))</c>, with LayerNorm
/// (eps 1e-6), the Inception mixer (<c>attn</c>), a GELU MLP (<c>mlp.fc1/fc2</c>) and, in the last two stages only
/// (as in the official code), layer scales <c>layer_scale_1/2</c>.
/// </summary>
public sealed class IFormerBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm norm1;
    private readonly IFormerMixer attn;
    private readonly LayerNorm norm2;
    private readonly Mlp mlp;
    private readonly bool hasLayerScale;
    private readonly DropPath? dropPath;

    /// <summary>Creates the block.</summary>
    /// <param name="dim">Channels.</param>
    /// <param name="numHeads">Heads of the full width (sets the head dimension).</param>
    /// <param name="attentionHeads">Heads of the attention branch.</param>
    /// <param name="poolSize">Average-pool factor before attention.</param>
    /// <param name="mlpRatio">MLP expansion.</param>
    /// <param name="dropPathRate">Stochastic-depth rate.</param>
    /// <param name="layerScaleInit">Initial layer-scale value, or null for a block without layer scale.</param>
    public IFormerBlock(int dim, int numHeads, int attentionHeads, int poolSize, double mlpRatio, double dropPathRate, double? layerScaleInit)
        : base(nameof(IFormerBlock))
    {
        norm1 = nn.LayerNorm(dim, eps: 1e-6);
        attn = new IFormerMixer(dim, numHeads, attentionHeads, poolSize);
        norm2 = nn.LayerNorm(dim, eps: 1e-6);
        mlp = new Mlp(dim, (long)(dim * mlpRatio));
        register_module("norm1", norm1);
        register_module("attn", attn);
        if (dropPathRate > 0)
        {
            dropPath = new DropPath(dropPathRate);
            register_module("drop_path", dropPath);
        }
        register_module("norm2", norm2);
        register_module("mlp", mlp);
        if (layerScaleInit is { } init)
        {
            hasLayerScale = true;
            register_parameter("layer_scale_1", new Parameter(full(dim, init)));
            register_parameter("layer_scale_2", new Parameter(full(dim, init)));
        }
    }

    /// <summary>The LayerNorm before the mixer.</summary>
    public LayerNorm Norm1 => norm1;

    /// <summary>The Inception mixer.</summary>
    public IFormerMixer Attn => attn;

    /// <summary>The LayerNorm before the MLP.</summary>
    public LayerNorm Norm2 => norm2;

    /// <summary>The MLP.</summary>
    public Mlp Mlp => mlp;

    /// <summary>The mixer branch's layer scale (null in the first two stages).</summary>
    public Parameter? LayerScale1 => hasLayerScale ? get_parameter("layer_scale_1") : null;

    /// <summary>The MLP branch's layer scale (null in the first two stages).</summary>
    public Parameter? LayerScale2 => hasLayerScale ? get_parameter("layer_scale_2") : null;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var a = attn.call(norm1.call(input));
        // Looked up by name: Module.to() replaces registered parameters, so a field would keep the disposed originals.
        if (LayerScale1 is { } scale1) a = a.mul(scale1);
        if (dropPath is not null) a = dropPath.call(a);
        var x = input.add(a);
        var m = mlp.call(norm2.call(x));
        if (LayerScale2 is { } scale2) m = m.mul(scale2);
        if (dropPath is not null) m = dropPath.call(m);
        return scope.MoveToOuter(x.add(m));
    }
}
