using System.Runtime.InteropServices;

namespace InceptionNeXt.Training.LibTorch;

/// <summary>Tensor factories and library-wide settings (seed, threads, grad mode, devices).</summary>
public static class Torch
{
    static Torch() => TorchNative.EnsureLoaded();

    /// <summary>The libtorch version the native shim was built against.</summary>
    public static string Version => Marshal.PtrToStringUTF8(TorchNative.ixt_torch_version()) ?? "unknown";

    /// <summary>Seeds libtorch's generators (CPU and CUDA).</summary>
    public static void ManualSeed(long seed) => TorchNative.Check(TorchNative.ixt_manual_seed(seed));

    /// <summary>
    /// A copy of the state of the default random generator of <paramref name="device"/> (the CPU when null), like
    /// <c>torch.get_rng_state()</c> / <c>torch.cuda.get_rng_state()</c>: a uint8 tensor on the CPU that
    /// <see cref="SetRngState"/> accepts back (dropout, drop path and random initialisation draw from it).
    /// </summary>
    public static Tensor GetRngState(Device? device = null)
    {
        var d = device ?? Device.Cpu;
        return Tensor.Wrap(TorchNative.ixt_get_rng_state((int)d.Type, d.Index));
    }

    /// <summary>Restores a state returned by <see cref="GetRngState"/> into the default generator of <paramref name="device"/> (the CPU when null).</summary>
    /// <exception cref="TorchException">The tensor is not a valid state for that generator.</exception>
    public static void SetRngState(Tensor state, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        var d = device ?? Device.Cpu;
        TorchNative.Check(TorchNative.ixt_set_rng_state((int)d.Type, d.Index, state.Handle));
    }

    /// <summary>Threads used inside one operation (libtorch's intra-op pool).</summary>
    public static int NumThreads
    {
        get => TorchNative.ixt_get_num_threads();
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            TorchNative.Check(TorchNative.ixt_set_num_threads(value));
        }
    }

    /// <summary>Whether this libtorch has CUDA and sees a GPU.</summary>
    public static bool CudaIsAvailable => TorchNative.ixt_cuda_is_available() != 0;

    /// <summary>Number of visible GPUs.</summary>
    public static int CudaDeviceCount => TorchNative.ixt_cuda_device_count();

    /// <summary>Waits for queued GPU work (for timing).</summary>
    public static void CudaSynchronize(int deviceIndex = 0) => TorchNative.Check(TorchNative.ixt_cuda_synchronize(deviceIndex));

    /// <summary>Checks that <paramref name="device"/> can be used, with an error that says how to fix it.</summary>
    /// <exception cref="TorchException">CUDA was asked for but is not available.</exception>
    public static void EnsureDevice(Device device)
    {
        if (device.Type == DeviceType.Cuda && !CudaIsAvailable)
            throw new TorchException(
                $"Device {device} was requested but this libtorch ({Version}) has no CUDA support or sees no GPU. " +
                "Build the shim against a CUDA libtorch (INCEPTIONNEXT_TORCH_DIR=<libtorch>/share/cmake/Torch) or use --device cpu.");
        if (device.Type == DeviceType.Cuda && device.Index >= CudaDeviceCount)
            throw new TorchException($"Device {device} does not exist; {CudaDeviceCount} GPU(s) are visible.");
    }

    /// <summary>Whether autograd records operations on the calling thread.</summary>
    public static bool IsGradEnabled => TorchNative.ixt_grad_enabled() != 0;

    /// <summary>Disables gradient recording on this thread until the returned guard is disposed.</summary>
    public static GradModeGuard NoGrad() => new(false);

    /// <summary>Sets gradient recording on this thread until the returned guard is disposed.</summary>
    public static GradModeGuard SetGradEnabled(bool enabled) => new(enabled);

    [ThreadStatic] private static Device? defaultDevice;

    /// <summary>The device factories use when none is given (per thread; the CPU unless changed).</summary>
    public static Device DefaultDevice => defaultDevice ?? Device.Cpu;

    /// <summary>
    /// Makes factories (and so module constructors) on this thread create tensors on <paramref name="device"/> until
    /// the returned object is disposed, like PyTorch's <c>with torch.device(...)</c>. <see cref="Device.Meta"/>
    /// builds a model's structure without allocating or initialising weights.
    /// </summary>
    public static IDisposable UseDefaultDevice(Device device)
    {
        EnsureDevice(device);
        var previous = defaultDevice;
        defaultDevice = device;
        return new Restore(() => defaultDevice = previous);
    }

    private sealed class Restore(Action action) : IDisposable
    {
        public void Dispose() => action();
    }

    /// <summary>Opens a scope that disposes every tensor created on this thread until it is closed.</summary>
    public static DisposeScope NewDisposeScope() => new();

    // ---------------------------------------------------------------- factories

    /// <summary>Uninitialised tensor.</summary>
    public static Tensor Empty(long[] shape, ScalarType type = ScalarType.Float32, Device? device = null, bool requiresGrad = false) =>
        New(0, shape, 0, type, device, requiresGrad);

    /// <summary>Tensor of zeros.</summary>
    public static Tensor Zeros(long[] shape, ScalarType type = ScalarType.Float32, Device? device = null, bool requiresGrad = false) =>
        New(1, shape, 0, type, device, requiresGrad);

    /// <summary>Tensor of ones.</summary>
    public static Tensor Ones(long[] shape, ScalarType type = ScalarType.Float32, Device? device = null, bool requiresGrad = false) =>
        New(2, shape, 0, type, device, requiresGrad);

    /// <summary>Tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(long[] shape, double value, ScalarType type = ScalarType.Float32, Device? device = null, bool requiresGrad = false) =>
        New(3, shape, value, type, device, requiresGrad);

    /// <summary>Standard-normal samples.</summary>
    public static Tensor Randn(long[] shape, ScalarType type = ScalarType.Float32, Device? device = null) =>
        New(4, shape, 0, type, device, false);

    /// <summary>Uniform [0, 1) samples.</summary>
    public static Tensor Rand(long[] shape, ScalarType type = ScalarType.Float32, Device? device = null) =>
        New(5, shape, 0, type, device, false);

    /// <summary>Uniform integers in [0, <paramref name="high"/>).</summary>
    public static Tensor RandInt(long high, long[] shape, Device? device = null) =>
        New(6, shape, high, ScalarType.Int64, device, false);

    /// <summary>A float32 tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(ReadOnlySpan<float> data, long[] shape, Device? device = null) =>
        FromBytes(MemoryMarshal.AsBytes(data), shape, ScalarType.Float32, device);

    /// <summary>An int64 tensor holding a copy of <paramref name="data"/>.</summary>
    public static Tensor FromArray(ReadOnlySpan<long> data, long[] shape, Device? device = null) =>
        FromBytes(MemoryMarshal.AsBytes(data), shape, ScalarType.Int64, device);

    /// <summary>A tensor holding a copy of raw little-endian element bytes.</summary>
    public static unsafe Tensor FromBytes(ReadOnlySpan<byte> data, long[] shape, ScalarType type, Device? device = null)
    {
        var d = device ?? DefaultDevice;
        fixed (byte* p = data)
        fixed (long* s = shape)
            return Tensor.Wrap(TorchNative.ixt_tensor_from_host(p, data.Length, s, shape.Length, (int)type, (int)d.Type, d.Index));
    }

    /// <summary>Concatenates along <paramref name="dim"/>.</summary>
    public static unsafe Tensor Cat(IReadOnlyList<Tensor> tensors, long dim) => ListOp(tensors, dim, &TorchNative.ixt_cat);

    /// <summary>Stacks along a new dimension <paramref name="dim"/>.</summary>
    public static unsafe Tensor Stack(IReadOnlyList<Tensor> tensors, long dim) => ListOp(tensors, dim, &TorchNative.ixt_stack);

    private static unsafe Tensor ListOp(IReadOnlyList<Tensor> tensors, long dim, delegate*<IntPtr*, int, long, TensorHandle> op)
    {
        var raw = Raw(tensors);
        fixed (IntPtr* p = raw)
        {
            var result = Tensor.Wrap(op(p, raw.Length, dim));
            GC.KeepAlive(tensors);
            return result;
        }
    }

    /// <summary>Picks from <paramref name="a"/> where <paramref name="condition"/> is true, else from <paramref name="b"/>.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) =>
        Tensor.Wrap(TorchNative.ixt_where(condition.Handle, a.Handle, b.Handle));

    internal static IntPtr[] Raw(IReadOnlyList<Tensor> tensors)
    {
        var raw = new IntPtr[tensors.Count];
        for (var i = 0; i < raw.Length; i++) raw[i] = tensors[i].RawHandle;
        return raw;
    }

    private static unsafe Tensor New(int kind, long[] shape, double value, ScalarType type, Device? device, bool requiresGrad)
    {
        var d = device ?? DefaultDevice;
        fixed (long* s = shape)
            return Tensor.Wrap(TorchNative.ixt_tensor_new(kind, s, shape.Length, value, (int)type, (int)d.Type, d.Index, requiresGrad ? 1 : 0));
    }
}

/// <summary>Restores the previous gradient mode of the thread when disposed.</summary>
public readonly struct GradModeGuard : IDisposable
{
    private readonly bool previous;

    internal GradModeGuard(bool enabled)
    {
        previous = TorchNative.ixt_grad_enabled() != 0;
        TorchNative.ixt_set_grad_enabled(enabled ? 1 : 0);
    }

    /// <summary>Restores the previous mode.</summary>
    public void Dispose() => TorchNative.ixt_set_grad_enabled(previous ? 1 : 0);
}
