namespace InceptionNeXt.Training.LibTorch;

/// <summary>In-place parameter initialisers (torch.nn.init), applied without recording gradients.</summary>
public static class Init
{
    /// <summary>Normal(mean, std) truncated to [a, b], as timm initialises conv and linear weights.</summary>
    public static Tensor TruncNormal(Tensor tensor, double mean = 0, double std = 1, double a = -2, double b = 2)
    {
        TorchNative.Check(TorchNative.ixt_trunc_normal_(tensor.Handle, mean, std, a, b));
        return tensor;
    }

    /// <summary>Normal(mean, std).</summary>
    public static Tensor Normal(Tensor tensor, double mean = 0, double std = 1)
    {
        TorchNative.Check(TorchNative.ixt_normal_(tensor.Handle, mean, std));
        return tensor;
    }

    /// <summary>Uniform [from, to).</summary>
    public static Tensor Uniform(Tensor tensor, double from, double to)
    {
        TorchNative.Check(TorchNative.ixt_uniform_(tensor.Handle, from, to));
        return tensor;
    }

    /// <summary>Fills with a constant.</summary>
    public static Tensor Constant(Tensor tensor, double value) => tensor.Fill(value);
}
