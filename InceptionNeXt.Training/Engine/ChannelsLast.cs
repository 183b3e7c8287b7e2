using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.Engine;

/// <summary>Channels-last (NHWC-strided) NCHW tensors without a memory-format API (TorchSharp 0.107 has none).</summary>
public static class ChannelsLast
{
    /// <summary>
    /// <paramref name="x"/> (4-d, NCHW) with channels-last strides: permuted to NHWC, made contiguous and viewed back as
    /// NCHW, which is what PyTorch's <c>x.contiguous(memory_format=torch.channels_last)</c> gives. Other ranks, and
    /// tensors already in that layout, come back as an alias.
    /// </summary>
    public static Tensor ToChannelsLast(this Tensor x)
    {
        if (x.dim() != 4 || IsChannelsLast(x)) return x.alias();
        using var nhwc = x.permute(0, 2, 3, 1);
        using var dense = nhwc.contiguous();
        return dense.permute(0, 3, 1, 2);
    }

    /// <summary>Whether a 4-d tensor's strides are channels-last (C fastest, then W, H, N).</summary>
    public static bool IsChannelsLast(this Tensor x)
    {
        if (x.dim() != 4) return false;
        var (s, n) = (x.stride(), x.shape);
        return s[1] == 1 && s[3] == n[1] && s[2] == n[1] * n[3] && s[0] == n[1] * n[2] * n[3];
    }
}
