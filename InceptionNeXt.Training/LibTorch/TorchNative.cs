using System.Reflection;
using System.Runtime.InteropServices;

namespace InceptionNeXt.Training.LibTorch;

/// <summary>P/Invoke declarations for the native shim (Native/src). One entry per exported function.</summary>
internal static unsafe partial class TorchNative
{
    internal const string Library = "inceptionnext_torch";

    /// <summary>Environment variable naming the shim library explicitly (e.g. one built against a CUDA libtorch).</summary>
    internal const string LibraryPathVariable = "INCEPTIONNEXT_TORCH_SHIM";

    static TorchNative()
    {
        NativeLibrary.SetDllImportResolver(typeof(TorchNative).Assembly, Resolve);
    }

    /// <summary>Forces the static constructor (and so the resolver) to run before the first native call.</summary>
    internal static void EnsureLoaded() { }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path)
    {
        if (name != Library) return IntPtr.Zero;
        var explicitPath = Environment.GetEnvironmentVariable(LibraryPathVariable);
        if (!string.IsNullOrEmpty(explicitPath))
        {
            if (!File.Exists(explicitPath))
                throw new DllNotFoundException($"{LibraryPathVariable}={explicitPath} does not exist.");
            return NativeLibrary.Load(explicitPath);
        }
        var candidates = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "lib" + Library + ".so"),
            Path.Combine(Path.GetDirectoryName(assembly.Location) ?? AppContext.BaseDirectory, "lib" + Library + ".so"),
        };
        foreach (var candidate in candidates)
            if (File.Exists(candidate)) return NativeLibrary.Load(candidate);
        if (NativeLibrary.TryLoad(Library, assembly, path, out var handle)) return handle;
        throw new DllNotFoundException(
            $"lib{Library}.so was not found next to {assembly.GetName().Name}.dll. Build the solution on a machine with " +
            $"libtorch (apt-get install libtorch-dev) or set {LibraryPathVariable} to the library's path.");
    }

    // Library settings
    [LibraryImport(Library)] internal static partial IntPtr ixt_last_error();
    [LibraryImport(Library)] internal static partial IntPtr ixt_torch_version();
    [LibraryImport(Library)] internal static partial int ixt_manual_seed(long seed);
    [LibraryImport(Library)] internal static partial int ixt_set_num_threads(int threads);
    [LibraryImport(Library)] internal static partial int ixt_get_num_threads();
    [LibraryImport(Library)] internal static partial int ixt_cuda_is_available();
    [LibraryImport(Library)] internal static partial int ixt_cuda_device_count();
    [LibraryImport(Library)] internal static partial int ixt_cuda_synchronize(int deviceIndex);
    [LibraryImport(Library)] internal static partial int ixt_grad_enabled();
    [LibraryImport(Library)] internal static partial void ixt_set_grad_enabled(int enabled);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_get_rng_state(int deviceType, int deviceIndex);
    [LibraryImport(Library)] internal static partial int ixt_set_rng_state(int deviceType, int deviceIndex, TensorHandle state);

    // Tensors
    [LibraryImport(Library)] internal static partial void ixt_tensor_free(IntPtr t);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_tensor_from_host(void* data, long nbytes, long* shape, int ndim, int dtype, int deviceType, int deviceIndex);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_tensor_new(int kind, long* shape, int ndim, double value, int dtype, int deviceType, int deviceIndex, int requiresGrad);
    [LibraryImport(Library)] internal static partial int ixt_tensor_ndim(TensorHandle t);
    [LibraryImport(Library)] internal static partial int ixt_tensor_shape(TensorHandle t, long* shape);
    [LibraryImport(Library)] internal static partial long ixt_tensor_numel(TensorHandle t);
    [LibraryImport(Library)] internal static partial int ixt_tensor_dtype(TensorHandle t);
    [LibraryImport(Library)] internal static partial int ixt_tensor_device_type(TensorHandle t);
    [LibraryImport(Library)] internal static partial int ixt_tensor_device_index(TensorHandle t);
    [LibraryImport(Library)] internal static partial int ixt_tensor_requires_grad(TensorHandle t);
    [LibraryImport(Library)] internal static partial int ixt_tensor_set_requires_grad(TensorHandle t, int requiresGrad);
    [LibraryImport(Library)] internal static partial int ixt_tensor_is_contiguous(TensorHandle t);
    [LibraryImport(Library)] internal static partial int ixt_tensor_grad(TensorHandle t, out IntPtr grad);
    [LibraryImport(Library)] internal static partial int ixt_tensor_to_host(TensorHandle t, void* dst, long nbytes, int dtype);
    [LibraryImport(Library)] internal static partial int ixt_tensor_item(TensorHandle t, out double value);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_tensor_to(TensorHandle t, int dtype, int deviceType, int deviceIndex, int copy);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_tensor_contiguous(TensorHandle t, int memoryFormat);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_tensor_clone(TensorHandle t);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_tensor_detach(TensorHandle t);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_tensor_alias(TensorHandle t);
    [LibraryImport(Library)] internal static partial int ixt_tensor_set_data(TensorHandle t, TensorHandle src);

    // Element-wise, reductions, shapes
    [LibraryImport(Library)] internal static partial TensorHandle ixt_binary(int op, TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_scalar(int op, TensorHandle a, double s);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_unary(int op, TensorHandle a);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_reduce(int op, TensorHandle a, long* dims, int ndim, int keepdim);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_argmax(TensorHandle a, long dim, int keepdim);
    [LibraryImport(Library)] internal static partial int ixt_topk(TensorHandle a, long k, long dim, out IntPtr values, out IntPtr indices);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_reshape(TensorHandle a, long* shape, int ndim);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_permute(TensorHandle a, long* order, int ndim);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_transpose(TensorHandle a, long d0, long d1);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_flatten(TensorHandle a, long start, long end);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_unsqueeze(TensorHandle a, long dim);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_squeeze(TensorHandle a, long dim);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_narrow(TensorHandle a, long dim, long start, long length);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_index_select(TensorHandle a, long dim, TensorHandle index);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_expand(TensorHandle a, long* shape, int ndim);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_flip(TensorHandle a, long* dims, int ndim);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_where(TensorHandle condition, TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] internal static partial int ixt_split(TensorHandle a, long* sizes, int count, long dim, IntPtr* output);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_cat(IntPtr* tensors, int count, long dim);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_stack(IntPtr* tensors, int count, long dim);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_matmul(TensorHandle a, TensorHandle b);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_one_hot(TensorHandle a, long numClasses);

    // Neural-network functions
    [LibraryImport(Library)] internal static partial TensorHandle ixt_conv2d(TensorHandle x, TensorHandle w, IntPtr b, long* stride, long* padding, long* dilation, long groups);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_batch_norm(TensorHandle x, IntPtr w, IntPtr b, IntPtr runningMean, IntPtr runningVar, int training, double momentum, double eps);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_layer_norm(TensorHandle x, long* shape, int ndim, IntPtr w, IntPtr b, double eps);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_linear(TensorHandle x, TensorHandle w, IntPtr b);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_dropout(TensorHandle x, double p, int training);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_softmax(TensorHandle x, long dim, int log);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_cross_entropy(TensorHandle logits, TensorHandle target, double labelSmoothing);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_bernoulli(TensorHandle like, long* shape, int ndim, double p);
    [LibraryImport(Library)] internal static partial TensorHandle ixt_interpolate(TensorHandle x, long* size, int mode, int alignCorners);

    // Autograd and in-place updates
    [LibraryImport(Library)] internal static partial int ixt_backward(TensorHandle loss, IntPtr gradOutput, int retainGraph);
    [LibraryImport(Library)] internal static partial int ixt_zero_grad(IntPtr* parameters, int count);
    [LibraryImport(Library)] internal static partial int ixt_copy_(TensorHandle dst, TensorHandle src);
    [LibraryImport(Library)] internal static partial int ixt_fill_(TensorHandle dst, double value);
    [LibraryImport(Library)] internal static partial int ixt_trunc_normal_(TensorHandle t, double mean, double std, double a, double b);
    [LibraryImport(Library)] internal static partial int ixt_normal_(TensorHandle t, double mean, double std);
    [LibraryImport(Library)] internal static partial int ixt_uniform_(TensorHandle t, double from, double to);
    [LibraryImport(Library)] internal static partial int ixt_add_(TensorHandle a, TensorHandle b, double alpha);
    [LibraryImport(Library)] internal static partial int ixt_mul_scalar_(TensorHandle a, double s);
    [LibraryImport(Library)] internal static partial int ixt_add_scalar_(TensorHandle a, double s);

    // Optimizers
    [LibraryImport(Library)] internal static partial int ixt_adamw_step(IntPtr* parameters, IntPtr* expAvgs, IntPtr* expAvgSqs, int count, double lr, double beta1, double beta2, double eps, double* weightDecay, long step);
    [LibraryImport(Library)] internal static partial int ixt_sgd_step(IntPtr* parameters, IntPtr* momentumBuffers, int count, double lr, double momentum, double dampening, double* weightDecay, int nesterov, int firstStep);
    [LibraryImport(Library)] internal static partial int ixt_clip_grad_norm(IntPtr* parameters, int count, double maxNorm, double normType, out double totalNorm);
    [LibraryImport(Library)] internal static partial int ixt_ema_update(IntPtr* ema, IntPtr* model, int count, double decay);

    /// <summary>Reads the calling thread's last native error message.</summary>
    internal static string LastError()
    {
        var message = Marshal.PtrToStringUTF8(ixt_last_error());
        return string.IsNullOrEmpty(message) ? "unknown libtorch error" : message;
    }

    /// <summary>Throws <see cref="TorchException"/> with libtorch's message when a native status is non-zero.</summary>
    internal static void Check(int status)
    {
        if (status != 0) throw new TorchException(LastError());
    }

    /// <summary>Throws <see cref="TorchException"/> with libtorch's message when a returned handle is null.</summary>
    internal static TensorHandle Check(TensorHandle handle)
    {
        if (handle.IsInvalid)
        {
            handle.Dispose();
            throw new TorchException(LastError());
        }
        return handle;
    }
}
