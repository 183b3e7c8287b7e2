using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// Folds an eval-mode BatchNorm into a neighbouring convolution for export: y = s * x + t per channel with
/// s = weight / sqrt(running_var + eps) and t = bias - running_mean * s.
/// </summary>
public static class TorchBatchNormFolding
{
    /// <summary>A tensor's values as a host float array (any device, any strides).</summary>
    public static float[] Floats(Tensor t)
    {
        using var host = t.detach().cpu().contiguous();
        return host.data<float>().ToArray();
    }

    /// <summary>Per-channel scale and shift of <paramref name="bn"/> in eval mode.</summary>
    public static (float[] Scale, float[] Shift) ScaleShift(BatchNorm2d bn)
    {
        var gamma = Floats(bn.weight!);
        var beta = Floats(bn.bias!);
        var mean = Floats(bn.running_mean!);
        var variance = Floats(bn.running_var!);
        var scale = new float[gamma.Length];
        var shift = new float[gamma.Length];
        for (var c = 0; c < scale.Length; c++)
        {
            scale[c] = (float)(gamma[c] / Math.Sqrt(variance[c] + bn.eps));
            shift[c] = beta[c] - (mean[c] * scale[c]);
        }
        return (scale, shift);
    }

    /// <summary>Weights and bias of conv(x) followed by bn: scales each output channel.</summary>
    public static (float[] Weight, float[] Bias) FoldAfter(Conv2d conv, BatchNorm2d bn)
    {
        var (scale, shift) = ScaleShift(bn);
        var weight = Floats(conv.weight!);
        var outChannels = (int)conv.out_channels;
        var bias = conv.bias is null ? new float[outChannels] : Floats(conv.bias);
        var perOutput = weight.Length / outChannels;
        for (var o = 0; o < outChannels; o++)
        {
            for (var k = 0; k < perOutput; k++) weight[(o * perOutput) + k] *= scale[o];
            bias[o] = (bias[o] * scale[o]) + shift[o];
        }
        return (weight, bias);
    }

    /// <summary>
    /// Weights and bias of bn followed by conv(x): scales each input channel and moves the shift into the bias.
    /// Exact only for a dense convolution without zero padding (padding would see the shift), which is checked.
    /// </summary>
    public static (float[] Weight, float[] Bias) FoldBefore(BatchNorm2d bn, Conv2d conv)
    {
        if (!CanFoldBefore(conv))
            throw new InvalidOperationException("BatchNorm can only be folded into a following dense convolution without padding.");
        var (scale, shift) = ScaleShift(bn);
        var weight = Floats(conv.weight!);
        var outChannels = (int)conv.out_channels;
        var bias = conv.bias is null ? new float[outChannels] : Floats(conv.bias);
        var inChannels = (int)conv.in_channels;
        var kernel = weight.Length / (outChannels * inChannels);
        for (var o = 0; o < outChannels; o++)
        {
            double extra = 0;
            for (var i = 0; i < inChannels; i++)
            {
                var offset = ((o * inChannels) + i) * kernel;
                for (var k = 0; k < kernel; k++)
                {
                    extra += weight[offset + k] * (double)shift[i];
                    weight[offset + k] *= scale[i];
                }
            }
            bias[o] += (float)extra;
        }
        return (weight, bias);
    }

    /// <summary>Whether a BatchNorm before <paramref name="conv"/> folds into it exactly.</summary>
    public static bool CanFoldBefore(Conv2d conv) => conv.groups == 1 && (conv.padding is null || conv.padding.All(p => p == 0)) && conv.padding_type is null;
}
