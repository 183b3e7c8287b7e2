using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// Layer normalisation over the channels of NCHW input (timm's LayerNorm2d): permute to NHWC, normalise the last
/// dimension, permute back. On channels-last activations both permutes are views.
/// </summary>
public sealed class LayerNorm2d : nn.Module<Tensor, Tensor>
{
    /// <summary>Creates the layer (weight 1, bias 0).</summary>
    public LayerNorm2d(long channels, double eps = 1e-6) : base(nameof(LayerNorm2d))
    {
        Channels = channels;
        Eps = eps;
        weight = new Parameter(ones(channels));
        bias = new Parameter(zeros(channels));
        register_parameter("weight", weight);
        register_parameter("bias", bias);
    }

    private readonly Parameter weight;
    private readonly Parameter bias;

    /// <summary>Channels.</summary>
    public long Channels { get; }

    /// <summary>Variance epsilon.</summary>
    public double Eps { get; }

    /// <summary>Scale.</summary>
    public Parameter Weight => weight;

    /// <summary>Shift.</summary>
    public Parameter Bias => bias;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var nhwc = input.permute(0, 2, 3, 1);
        using var normed = nn.functional.layer_norm(nhwc, [Channels], weight, bias, Eps);
        return normed.permute(0, 3, 1, 2);
    }
}
