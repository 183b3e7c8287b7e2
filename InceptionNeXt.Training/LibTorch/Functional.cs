namespace InceptionNeXt.Training.LibTorch;

/// <summary>Stateless neural-network functions (PyTorch's torch.nn.functional).</summary>
public static class Functional
{
    /// <summary>2-d convolution (NCHW), optionally grouped (groups == channels is depthwise).</summary>
    public static unsafe Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias, (long H, long W) stride, (long H, long W) padding,
        (long H, long W) dilation, long groups = 1)
    {
        long* s = stackalloc long[] { stride.H, stride.W };
        long* p = stackalloc long[] { padding.H, padding.W };
        long* d = stackalloc long[] { dilation.H, dilation.W };
        var result = Tensor.Wrap(TorchNative.ixt_conv2d(input.Handle, weight.Handle, bias?.RawHandle ?? IntPtr.Zero, s, p, d, groups));
        GC.KeepAlive(bias);
        return result;
    }

    /// <summary>Batch normalisation; in training mode uses batch statistics and updates the running ones in place.</summary>
    public static Tensor BatchNorm(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, double momentum = 0.1, double eps = 1e-5)
    {
        var result = Tensor.Wrap(TorchNative.ixt_batch_norm(input.Handle, weight?.RawHandle ?? IntPtr.Zero, bias?.RawHandle ?? IntPtr.Zero,
            runningMean?.RawHandle ?? IntPtr.Zero, runningVar?.RawHandle ?? IntPtr.Zero, training ? 1 : 0, momentum, eps));
        GC.KeepAlive(weight);
        GC.KeepAlive(bias);
        GC.KeepAlive(runningMean);
        GC.KeepAlive(runningVar);
        return result;
    }

    /// <summary>Layer normalisation over the trailing dimensions <paramref name="normalizedShape"/>.</summary>
    public static unsafe Tensor LayerNorm(Tensor input, long[] normalizedShape, Tensor? weight, Tensor? bias, double eps = 1e-5)
    {
        fixed (long* s = normalizedShape)
        {
            var result = Tensor.Wrap(TorchNative.ixt_layer_norm(input.Handle, s, normalizedShape.Length,
                weight?.RawHandle ?? IntPtr.Zero, bias?.RawHandle ?? IntPtr.Zero, eps));
            GC.KeepAlive(weight);
            GC.KeepAlive(bias);
            return result;
        }
    }

    /// <summary>y = x W^T + b.</summary>
    public static Tensor Linear(Tensor input, Tensor weight, Tensor? bias)
    {
        var result = Tensor.Wrap(TorchNative.ixt_linear(input.Handle, weight.Handle, bias?.RawHandle ?? IntPtr.Zero));
        GC.KeepAlive(bias);
        return result;
    }

    /// <summary>GELU; exact (erf) by default, the form ONNX Runtime fuses.</summary>
    public static Tensor Gelu(Tensor input, bool tanhApproximation = false) =>
        input.Unary(tanhApproximation ? UnaryOp.GeluTanh : UnaryOp.Gelu);

    /// <summary>ReLU.</summary>
    public static Tensor Relu(Tensor input) => input.Unary(UnaryOp.Relu);

    /// <summary>Dropout (identity when not training or p == 0).</summary>
    public static Tensor Dropout(Tensor input, double p, bool training) =>
        Tensor.Wrap(TorchNative.ixt_dropout(input.Handle, p, training ? 1 : 0));

    /// <summary>Softmax along <paramref name="dim"/>.</summary>
    public static Tensor Softmax(Tensor input, long dim) => Tensor.Wrap(TorchNative.ixt_softmax(input.Handle, dim, 0));

    /// <summary>Log-softmax along <paramref name="dim"/>.</summary>
    public static Tensor LogSoftmax(Tensor input, long dim) => Tensor.Wrap(TorchNative.ixt_softmax(input.Handle, dim, 1));

    /// <summary>Mean cross-entropy against int64 class indices, with optional label smoothing.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, double labelSmoothing = 0) =>
        Tensor.Wrap(TorchNative.ixt_cross_entropy(logits.Handle, target.Handle, labelSmoothing));

    /// <summary>Mean cross-entropy against soft targets (rows of class probabilities, e.g. from mixup).</summary>
    public static Tensor SoftTargetCrossEntropy(Tensor logits, Tensor target)
    {
        using var logp = LogSoftmax(logits, -1);
        using var product = target * logp;
        using var perSample = product.Sum([-1]);
        using var mean = perSample.Mean();
        return mean.Neg();
    }

    /// <summary>One-hot encoding of int64 indices.</summary>
    public static Tensor OneHot(Tensor indices, long numClasses) => Tensor.Wrap(TorchNative.ixt_one_hot(indices.Handle, numClasses));

    /// <summary>A tensor of Bernoulli(p) draws with the dtype and device of <paramref name="like"/>.</summary>
    public static unsafe Tensor Bernoulli(Tensor like, long[] shape, double p)
    {
        fixed (long* s = shape) return Tensor.Wrap(TorchNative.ixt_bernoulli(like.Handle, s, shape.Length, p));
    }

    /// <summary>Resizes NCHW input to (height, width) with nearest, bilinear or bicubic interpolation.</summary>
    public static unsafe Tensor Interpolate(Tensor input, long height, long width, InterpolationMode mode, bool alignCorners = false)
    {
        long* size = stackalloc long[] { height, width };
        return Tensor.Wrap(TorchNative.ixt_interpolate(input.Handle, size, (int)mode, alignCorners ? 1 : 0));
    }
}

/// <summary>Resampling modes for <see cref="Functional.Interpolate"/>.</summary>
public enum InterpolationMode
{
    /// <summary>Nearest neighbour.</summary>
    Nearest = 0,
    /// <summary>Bilinear.</summary>
    Bilinear = 1,
    /// <summary>Bicubic.</summary>
    Bicubic = 2,
}
