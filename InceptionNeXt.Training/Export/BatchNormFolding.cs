using InceptionNeXt.Training.Modules;

namespace InceptionNeXt.Training.Export;

/// <summary>
/// Folds an eval-mode BatchNorm into a neighbouring convolution for export: y = s * x + t per channel with
/// s = weight / sqrt(running_var + eps) and t = bias - running_mean * s.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>Per-channel scale and shift of <paramref name="bn"/> in eval mode.</summary>
    public static (float[] Scale, float[] Shift) ScaleShift(BatchNorm2d bn)
    {
        var gamma = bn.Weight.ToFloatArray();
        var beta = bn.Bias.ToFloatArray();
        var mean = bn.RunningMean.ToFloatArray();
        var variance = bn.RunningVar.ToFloatArray();
        var scale = new float[gamma.Length];
        var shift = new float[gamma.Length];
        for (var c = 0; c < scale.Length; c++)
        {
            scale[c] = (float)(gamma[c] / Math.Sqrt(variance[c] + bn.Eps));
            shift[c] = beta[c] - mean[c] * scale[c];
        }
        return (scale, shift);
    }

    /// <summary>Weights and bias of conv(x) followed by bn: scales each output channel.</summary>
    public static (float[] Weight, float[] Bias) FoldAfter(Conv2d conv, BatchNorm2d bn)
    {
        var (scale, shift) = ScaleShift(bn);
        var weight = conv.Weight.ToFloatArray();
        var bias = conv.Bias?.ToFloatArray() ?? new float[conv.OutChannels];
        var perOutput = weight.Length / conv.OutChannels;
        for (var o = 0; o < conv.OutChannels; o++)
        {
            for (var k = 0; k < perOutput; k++) weight[o * perOutput + k] *= scale[o];
            bias[o] = bias[o] * scale[o] + shift[o];
        }
        return (weight, bias);
    }

    /// <summary>
    /// Weights and bias of bn followed by conv(x): scales each input channel and moves the shift into the bias.
    /// Exact only without zero padding (padding would see the shift), which is checked.
    /// </summary>
    public static (float[] Weight, float[] Bias) FoldBefore(BatchNorm2d bn, Conv2d conv)
    {
        if (conv.Padding != (0, 0) || conv.Groups != 1)
            throw new InvalidOperationException("BatchNorm can only be folded into a following dense convolution without padding.");
        var (scale, shift) = ScaleShift(bn);
        var weight = conv.Weight.ToFloatArray();
        var bias = conv.Bias?.ToFloatArray() ?? new float[conv.OutChannels];
        var kernel = (int)(conv.Kernel.H * conv.Kernel.W);
        var inChannels = (int)conv.InChannels;
        for (var o = 0; o < conv.OutChannels; o++)
        {
            double extra = 0;
            for (var i = 0; i < inChannels; i++)
            {
                var offset = (o * inChannels + i) * kernel;
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
}
