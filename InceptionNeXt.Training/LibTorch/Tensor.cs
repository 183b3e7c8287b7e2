using System.Runtime.InteropServices;

namespace InceptionNeXt.Training.LibTorch;

/// <summary>
/// A libtorch tensor. Each instance owns one native reference (a <see cref="System.Runtime.InteropServices.SafeHandle"/>);
/// views and results of operations are new instances. Dispose them, or create them inside a
/// <see cref="DisposeScope"/> (see <see cref="Torch.NewDisposeScope"/>).
/// </summary>
public class Tensor : IDisposable
{
    private readonly TensorHandle handle;

    internal Tensor(TensorHandle handle)
    {
        this.handle = handle;
        DisposeScope.Register(this);
    }

    internal DisposeScope? Scope { get; set; }

    internal TensorHandle Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(handle.IsClosed, this);
            return handle;
        }
    }

    /// <summary>The raw native pointer for list arguments; callers keep <c>this</c> alive for the call.</summary>
    internal IntPtr RawHandle => Handle.DangerousGetHandle();

    /// <summary>True once the native reference has been released.</summary>
    public bool IsDisposed => handle.IsClosed;

    /// <summary>
    /// Points this tensor at the data of <paramref name="source"/> in place (PyTorch's <c>t.data = source</c>):
    /// the native handle stays the same, so optimizers holding it see the change.
    /// </summary>
    internal void SetData(Tensor source) => TorchNative.Check(TorchNative.ixt_tensor_set_data(Handle, source.Handle));

    // ---------------------------------------------------------------- metadata

    /// <summary>Number of dimensions.</summary>
    public int Dim => TorchNative.ixt_tensor_ndim(Handle);

    /// <summary>The sizes of each dimension.</summary>
    public unsafe long[] Shape
    {
        get
        {
            var shape = new long[Dim];
            fixed (long* p = shape) TorchNative.Check(TorchNative.ixt_tensor_shape(Handle, p));
            return shape;
        }
    }

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public long Size(int dim)
    {
        var shape = Shape;
        var d = dim < 0 ? dim + shape.Length : dim;
        if (d < 0 || d >= shape.Length)
            throw new ArgumentOutOfRangeException(nameof(dim), $"dimension {dim} is out of range for a {shape.Length}-d tensor");
        return shape[d];
    }

    /// <summary>Total number of elements.</summary>
    public long Numel => TorchNative.ixt_tensor_numel(Handle);

    /// <summary>Element type.</summary>
    public ScalarType DType
    {
        get
        {
            var code = TorchNative.ixt_tensor_dtype(Handle);
            if (code < 0) throw new TorchException(TorchNative.LastError());
            return (ScalarType)code;
        }
    }

    /// <summary>The device holding the data.</summary>
    public Device Device => TorchNative.ixt_tensor_device_type(Handle) switch
    {
        1 => Device.Cuda(TorchNative.ixt_tensor_device_index(Handle)),
        2 => Device.Meta,
        _ => Device.Cpu,
    };

    /// <summary>Whether autograd records operations on this tensor.</summary>
    public bool RequiresGrad
    {
        get => TorchNative.ixt_tensor_requires_grad(Handle) != 0;
        set => TorchNative.Check(TorchNative.ixt_tensor_set_requires_grad(Handle, value ? 1 : 0));
    }

    /// <summary>Whether the memory is contiguous in row-major order.</summary>
    public bool IsContiguous => TorchNative.ixt_tensor_is_contiguous(Handle) != 0;

    /// <summary>The accumulated gradient (a new reference each call), or null if none was computed.</summary>
    public Tensor? Grad
    {
        get
        {
            TorchNative.Check(TorchNative.ixt_tensor_grad(Handle, out var raw));
            return raw == IntPtr.Zero ? null : new Tensor(new TensorHandle(raw));
        }
    }

    // ---------------------------------------------------------------- data transfer

    /// <summary>Copies the elements (as float32, on the host, row-major) into a new array.</summary>
    public float[] ToFloatArray() => ToArray<float>(ScalarType.Float32);

    /// <summary>Copies the elements (as int64) into a new array.</summary>
    public long[] ToLongArray() => ToArray<long>(ScalarType.Int64);

    /// <summary>Copies the elements converted to <paramref name="type"/> into a new array of <typeparamref name="T"/>.</summary>
    public unsafe T[] ToArray<T>(ScalarType type) where T : unmanaged
    {
        if (sizeof(T) != type.ElementSize())
            throw new ArgumentException($"{typeof(T).Name} does not match element type {type}.", nameof(type));
        var result = new T[Numel];
        CopyTo(MemoryMarshal.AsBytes(result.AsSpan()), type);
        return result;
    }

    /// <summary>Copies the elements converted to <paramref name="type"/> into <paramref name="destination"/>.</summary>
    public unsafe void CopyTo(Span<byte> destination, ScalarType type)
    {
        fixed (byte* p = destination)
            TorchNative.Check(TorchNative.ixt_tensor_to_host(Handle, p, destination.Length, (int)type));
    }

    /// <summary>The value of a one-element tensor.</summary>
    public double Item()
    {
        TorchNative.Check(TorchNative.ixt_tensor_item(Handle, out var value));
        return value;
    }

    // ---------------------------------------------------------------- conversions

    /// <summary>Moves or converts the tensor; returns a new reference (the same storage when nothing changes).</summary>
    public Tensor To(Device device, ScalarType? type = null, bool copy = false) =>
        Wrap(TorchNative.ixt_tensor_to(Handle, (int)(type ?? DType), (int)device.Type, device.Index, copy ? 1 : 0));

    /// <summary>Converts the element type.</summary>
    public Tensor To(ScalarType type) => To(Device, type);

    /// <summary>A contiguous tensor (row-major, or channels-last strides for 4-d tensors when asked).</summary>
    public Tensor Contiguous(bool channelsLast = false) => Wrap(TorchNative.ixt_tensor_contiguous(Handle, channelsLast ? 1 : 0));

    /// <summary>A copy of the data that stays in the autograd graph.</summary>
    public Tensor Clone() => Wrap(TorchNative.ixt_tensor_clone(Handle));

    /// <summary>A new reference to the same data, outside the autograd graph.</summary>
    public Tensor Detach() => Wrap(TorchNative.ixt_tensor_detach(Handle));

    /// <summary>Another reference to the same tensor (useful to hand out a result that the caller disposes).</summary>
    public Tensor Alias() => Wrap(TorchNative.ixt_tensor_alias(Handle));

    // ---------------------------------------------------------------- element-wise

    /// <summary>Element-wise sum.</summary>
    public Tensor Add(Tensor other) => Binary(BinaryOp.Add, other);
    /// <summary>Element-wise difference.</summary>
    public Tensor Sub(Tensor other) => Binary(BinaryOp.Sub, other);
    /// <summary>Element-wise product.</summary>
    public Tensor Mul(Tensor other) => Binary(BinaryOp.Mul, other);
    /// <summary>Element-wise quotient.</summary>
    public Tensor Div(Tensor other) => Binary(BinaryOp.Div, other);
    /// <summary>Element-wise power.</summary>
    public Tensor Pow(Tensor exponent) => Binary(BinaryOp.Pow, exponent);
    /// <summary>Element-wise maximum.</summary>
    public Tensor Maximum(Tensor other) => Binary(BinaryOp.Maximum, other);
    /// <summary>Element-wise minimum.</summary>
    public Tensor Minimum(Tensor other) => Binary(BinaryOp.Minimum, other);
    /// <summary>Element-wise equality (bool tensor).</summary>
    public Tensor Eq(Tensor other) => Binary(BinaryOp.Eq, other);
    /// <summary>Element-wise greater-than (bool tensor).</summary>
    public Tensor Gt(Tensor other) => Binary(BinaryOp.Gt, other);
    /// <summary>Element-wise less-than (bool tensor).</summary>
    public Tensor Lt(Tensor other) => Binary(BinaryOp.Lt, other);

    /// <summary>Adds a scalar.</summary>
    public Tensor Add(double s) => Scalar(ScalarOp.Add, s);
    /// <summary>Multiplies by a scalar.</summary>
    public Tensor Mul(double s) => Scalar(ScalarOp.Mul, s);
    /// <summary>Divides by a scalar.</summary>
    public Tensor Div(double s) => Scalar(ScalarOp.Div, s);
    /// <summary>Raises to a scalar power.</summary>
    public Tensor Pow(double s) => Scalar(ScalarOp.Pow, s);
    /// <summary>Element-wise equality with a scalar.</summary>
    public Tensor Eq(double s) => Scalar(ScalarOp.Eq, s);
    /// <summary>Clamps to [min, max]; either bound may be null.</summary>
    public Tensor Clamp(double? min, double? max)
    {
        if (min is null && max is null) return Alias();
        if (max is null) return Scalar(ScalarOp.ClampMin, min!.Value);
        if (min is null) return Scalar(ScalarOp.ClampMax, max.Value);
        using var low = Scalar(ScalarOp.ClampMin, min.Value);
        return low.Scalar(ScalarOp.ClampMax, max.Value);
    }

    /// <summary>Negation.</summary>
    public Tensor Neg() => Unary(UnaryOp.Neg);
    /// <summary>Exponential.</summary>
    public Tensor Exp() => Unary(UnaryOp.Exp);
    /// <summary>Natural logarithm.</summary>
    public Tensor Log() => Unary(UnaryOp.Log);
    /// <summary>Square root.</summary>
    public Tensor Sqrt() => Unary(UnaryOp.Sqrt);
    /// <summary>Absolute value.</summary>
    public Tensor Abs() => Unary(UnaryOp.Abs);
    /// <summary>Square.</summary>
    public Tensor Square() => Unary(UnaryOp.Square);
    /// <summary>Sigmoid.</summary>
    public Tensor Sigmoid() => Unary(UnaryOp.Sigmoid);
    /// <summary>Floor.</summary>
    public Tensor Floor() => Unary(UnaryOp.Floor);
    /// <summary>True where the value is finite.</summary>
    public Tensor IsFinite() => Unary(UnaryOp.IsFinite);

    // ---------------------------------------------------------------- reductions

    /// <summary>Sum over <paramref name="dims"/> (all dimensions when empty).</summary>
    public Tensor Sum(long[]? dims = null, bool keepDim = false) => Reduce(ReduceOp.Sum, dims, keepDim);
    /// <summary>Mean over <paramref name="dims"/> (all dimensions when empty).</summary>
    public Tensor Mean(long[]? dims = null, bool keepDim = false) => Reduce(ReduceOp.Mean, dims, keepDim);
    /// <summary>Maximum over <paramref name="dims"/> (all dimensions when empty).</summary>
    public Tensor Amax(long[]? dims = null, bool keepDim = false) => Reduce(ReduceOp.Amax, dims, keepDim);
    /// <summary>Minimum over <paramref name="dims"/> (all dimensions when empty).</summary>
    public Tensor Amin(long[]? dims = null, bool keepDim = false) => Reduce(ReduceOp.Amin, dims, keepDim);

    /// <summary>Index of the maximum along <paramref name="dim"/>.</summary>
    public Tensor Argmax(long dim, bool keepDim = false) => Wrap(TorchNative.ixt_argmax(Handle, dim, keepDim ? 1 : 0));

    /// <summary>The <paramref name="k"/> largest values and their indices along <paramref name="dim"/>.</summary>
    public (Tensor Values, Tensor Indices) TopK(long k, long dim = -1)
    {
        TorchNative.Check(TorchNative.ixt_topk(Handle, k, dim, out var values, out var indices));
        return (new Tensor(new TensorHandle(values)), new Tensor(new TensorHandle(indices)));
    }

    // ---------------------------------------------------------------- shape

    /// <summary>Reshapes (a view when possible); one dimension may be -1.</summary>
    public unsafe Tensor Reshape(params long[] shape)
    {
        fixed (long* p = shape) return Wrap(TorchNative.ixt_reshape(Handle, p, shape.Length));
    }

    /// <summary>Reorders dimensions.</summary>
    public unsafe Tensor Permute(params long[] order)
    {
        fixed (long* p = order) return Wrap(TorchNative.ixt_permute(Handle, p, order.Length));
    }

    /// <summary>Swaps two dimensions.</summary>
    public Tensor Transpose(long dim0, long dim1) => Wrap(TorchNative.ixt_transpose(Handle, dim0, dim1));

    /// <summary>Flattens dimensions <paramref name="start"/>..<paramref name="end"/> into one.</summary>
    public Tensor Flatten(long start = 0, long end = -1) => Wrap(TorchNative.ixt_flatten(Handle, start, end));

    /// <summary>Inserts a dimension of size one.</summary>
    public Tensor Unsqueeze(long dim) => Wrap(TorchNative.ixt_unsqueeze(Handle, dim));

    /// <summary>Removes a dimension of size one.</summary>
    public Tensor Squeeze(long dim) => Wrap(TorchNative.ixt_squeeze(Handle, dim));

    /// <summary>A view of <paramref name="length"/> entries from <paramref name="start"/> along <paramref name="dim"/>.</summary>
    public Tensor Narrow(long dim, long start, long length) => Wrap(TorchNative.ixt_narrow(Handle, dim, start, length));

    /// <summary>Selects entries along <paramref name="dim"/> by an int64 index tensor.</summary>
    public Tensor IndexSelect(long dim, Tensor index) => Wrap(TorchNative.ixt_index_select(Handle, dim, index.Handle));

    /// <summary>Broadcasts to a larger shape (a view).</summary>
    public unsafe Tensor Expand(params long[] shape)
    {
        fixed (long* p = shape) return Wrap(TorchNative.ixt_expand(Handle, p, shape.Length));
    }

    /// <summary>Reverses the order along the given dimensions.</summary>
    public unsafe Tensor Flip(params long[] dims)
    {
        fixed (long* p = dims) return Wrap(TorchNative.ixt_flip(Handle, p, dims.Length));
    }

    /// <summary>Splits along <paramref name="dim"/> into pieces of the given sizes (views).</summary>
    public unsafe Tensor[] Split(long[] sizes, long dim)
    {
        var raw = new IntPtr[sizes.Length];
        fixed (long* s = sizes)
        fixed (IntPtr* o = raw)
            TorchNative.Check(TorchNative.ixt_split(Handle, s, sizes.Length, dim, o));
        var parts = new Tensor[sizes.Length];
        for (var i = 0; i < parts.Length; i++) parts[i] = new Tensor(new TensorHandle(raw[i]));
        return parts;
    }

    /// <summary>Matrix product with broadcasting.</summary>
    public Tensor MatMul(Tensor other) => Wrap(TorchNative.ixt_matmul(Handle, other.Handle));

    // ---------------------------------------------------------------- in place (outside autograd)

    /// <summary>Copies <paramref name="source"/> into this tensor in place, without recording gradients.</summary>
    public Tensor CopyFrom(Tensor source)
    {
        TorchNative.Check(TorchNative.ixt_copy_(Handle, source.Handle));
        return this;
    }

    /// <summary>Fills with a constant in place, without recording gradients.</summary>
    public Tensor Fill(double value)
    {
        TorchNative.Check(TorchNative.ixt_fill_(Handle, value));
        return this;
    }

    /// <summary>Adds <paramref name="alpha"/> * <paramref name="other"/> in place, without recording gradients.</summary>
    public Tensor AddInPlace(Tensor other, double alpha = 1)
    {
        TorchNative.Check(TorchNative.ixt_add_(Handle, other.Handle, alpha));
        return this;
    }

    /// <summary>Adds a scalar in place, without recording gradients.</summary>
    public Tensor AddInPlace(double s)
    {
        TorchNative.Check(TorchNative.ixt_add_scalar_(Handle, s));
        return this;
    }

    /// <summary>Multiplies by a scalar in place, without recording gradients.</summary>
    public Tensor MulInPlace(double s)
    {
        TorchNative.Check(TorchNative.ixt_mul_scalar_(Handle, s));
        return this;
    }

    // ---------------------------------------------------------------- autograd

    /// <summary>Back-propagates from this (scalar) tensor, accumulating into the leaves' gradients.</summary>
    public void Backward(Tensor? gradOutput = null, bool retainGraph = false) =>
        TorchNative.Check(TorchNative.ixt_backward(Handle, gradOutput?.RawHandle ?? IntPtr.Zero, retainGraph ? 1 : 0));

    // ---------------------------------------------------------------- scopes and lifetime

    /// <summary>Moves this tensor from its dispose scope to the enclosing one (or to none); returns this.</summary>
    public Tensor MoveToOuterDisposeScope()
    {
        Scope?.MoveToOuter(this);
        return this;
    }

    /// <summary>Removes this tensor from any dispose scope: the caller now owns it; returns this.</summary>
    public Tensor DetachFromDisposeScope()
    {
        Scope?.Remove(this);
        Scope = null;
        return this;
    }

    /// <summary>Releases the native reference.</summary>
    public void Dispose()
    {
        Scope?.Remove(this);
        Scope = null;
        handle.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        IsDisposed ? "Tensor(disposed)" : $"Tensor([{string.Join(", ", Shape)}], {DType}, {Device})";

    // ---------------------------------------------------------------- operators

    /// <summary>Element-wise sum.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => a.Add(b);
    /// <summary>Element-wise difference.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => a.Sub(b);
    /// <summary>Element-wise product.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => a.Mul(b);
    /// <summary>Element-wise quotient.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => a.Div(b);
    /// <summary>Adds a scalar.</summary>
    public static Tensor operator +(Tensor a, double s) => a.Add(s);
    /// <summary>Subtracts a scalar.</summary>
    public static Tensor operator -(Tensor a, double s) => a.Scalar(ScalarOp.Sub, s);
    /// <summary>Scalar minus tensor.</summary>
    public static Tensor operator -(double s, Tensor a) => a.Scalar(ScalarOp.RSub, s);
    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(Tensor a, double s) => a.Mul(s);
    /// <summary>Multiplies by a scalar.</summary>
    public static Tensor operator *(double s, Tensor a) => a.Mul(s);
    /// <summary>Divides by a scalar.</summary>
    public static Tensor operator /(Tensor a, double s) => a.Div(s);
    /// <summary>Negation.</summary>
    public static Tensor operator -(Tensor a) => a.Neg();

    // ---------------------------------------------------------------- plumbing

    internal static Tensor Wrap(TensorHandle handle) => new(TorchNative.Check(handle));

    private Tensor Binary(BinaryOp op, Tensor other) => Wrap(TorchNative.ixt_binary((int)op, Handle, other.Handle));
    internal Tensor Scalar(ScalarOp op, double s) => Wrap(TorchNative.ixt_scalar((int)op, Handle, s));
    internal Tensor Unary(UnaryOp op) => Wrap(TorchNative.ixt_unary((int)op, Handle));

    private unsafe Tensor Reduce(ReduceOp op, long[]? dims, bool keepDim)
    {
        dims ??= [];
        fixed (long* p = dims) return Wrap(TorchNative.ixt_reduce((int)op, Handle, p, dims.Length, keepDim ? 1 : 0));
    }
}

// Op codes shared with Native/src/ops.cpp.
internal enum BinaryOp { Add, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge }
internal enum ScalarOp { Add, Sub, Mul, Div, Pow, RSub, Eq, Lt, Gt, ClampMin, ClampMax }
internal enum UnaryOp { Neg, Exp, Log, Sqrt, Abs, Relu, Gelu, GeluTanh, Sigmoid, Tanh, Sign, Square, Rsqrt, LogicalNot, Floor, IsFinite }
internal enum ReduceOp { Sum, Mean, Amax, Amin, Std, Var }
