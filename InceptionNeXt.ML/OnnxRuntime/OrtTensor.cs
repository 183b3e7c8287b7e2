using System.Buffers;

namespace InceptionNeXt.ML.OnnxRuntime;

/// <summary>
/// A dense tensor held in an <c>OrtValue</c>. Tensors made with <see cref="Create{T}(Memory{T}, ReadOnlySpan{long})"/>
/// wrap the caller's buffer without copying: the buffer stays pinned until <see cref="Dispose"/>, ONNX Runtime reads
/// (and, for pre-bound outputs, writes) it in place, and changes the caller makes between runs are seen by the next run.
/// Tensors returned by <see cref="InferenceSession.Run(ReadOnlySpan{NamedTensor})"/> own a buffer allocated by ONNX Runtime
/// that lives until the tensor (or its <see cref="OrtRunResults"/>) is disposed.
/// </summary>
/// <remarks>
/// A tensor may be used as an input by many concurrent runs. Dispose it only after the runs that use it have
/// returned (disposal waits for none: a run in progress keeps the native value alive, but the data it reads must
/// still be valid). Spans from <see cref="GetSpan{T}"/> must not be used after disposal.
/// </remarks>
public sealed unsafe class OrtTensor : IDisposable
{
    private readonly OrtValueHandle _handle;
    private readonly long[] _shape;
    private readonly void* _data;

    private OrtTensor(OrtValueHandle handle, TensorElementType elementType, long[] shape, void* data, long elementCount, bool isRuntimeOwned)
    {
        _handle = handle;
        ElementType = elementType;
        _shape = shape;
        _data = data;
        ElementCount = elementCount;
        IsRuntimeOwned = isRuntimeOwned;
    }

    /// <summary>The element type.</summary>
    public TensorElementType ElementType { get; }

    /// <summary>The shape (all dimensions known).</summary>
    public ReadOnlySpan<long> Shape => _shape;

    /// <summary>The number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>The number of elements (the product of the dimensions; 1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>Whether ONNX Runtime allocated the buffer (a run's output) rather than the caller.</summary>
    public bool IsRuntimeOwned { get; }

    /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
    public bool IsDisposed => _handle.IsClosed;

    /// <summary>The native value; valid while not disposed.</summary>
    internal OrtValueHandle Handle => _handle;

    /// <summary>Wraps <paramref name="data"/> (no copy) as a tensor of the given shape.</summary>
    /// <exception cref="ArgumentException">A dimension is negative or the element count differs from the array length.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> has no ONNX element type.</exception>
    public static OrtTensor Create<T>(T[] data, params ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        return Create(new Memory<T>(data), shape);
    }

    /// <summary>
    /// Wraps <paramref name="data"/> (no copy; pinned until <see cref="Dispose"/>) as a tensor of the given shape.
    /// Supported element types: float, double, Half, sbyte, byte, short, ushort, int, uint, long, ulong and bool.
    /// </summary>
    /// <exception cref="ArgumentException">A dimension is negative or the element count differs from the buffer length.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> has no ONNX element type.</exception>
    public static OrtTensor Create<T>(Memory<T> data, params ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        TensorElementType type = TensorElementTypes.Of<T>();
        if (type == TensorElementType.Undefined)
        {
            throw new NotSupportedException(
                $"{typeof(T).Name} has no ONNX tensor element type; use float, double, Half, sbyte, byte, short, ushort, int, uint, long, ulong or bool.");
        }

        long count = 1;
        foreach (long dim in shape)
        {
            if (dim < 0)
            {
                throw new ArgumentException($"Tensor dimensions must be non-negative, but the shape is {NodeMetadata.FormatShape(shape)}.", nameof(shape));
            }

            count = checked(count * dim);
        }

        if (count != data.Length)
        {
            throw new ArgumentException(
                $"A tensor of shape {NodeMetadata.FormatShape(shape)} has {count} elements, but the buffer holds {data.Length}.", nameof(data));
        }

        OrtMemoryInfoHandle memoryInfo = OrtEnvironment.Instance.CpuMemoryInfo;
        OrtApi api = OrtApi.Instance;
        MemoryHandle pin = data.Pin();
        nint value = 0;
        try
        {
            fixed (long* dims = shape)
            {
                api.Check(
                    api.CreateTensorWithDataAsOrtValue(
                        memoryInfo.DangerousGetHandle(), pin.Pointer, (nuint)(count * sizeof(T)), dims, (nuint)shape.Length, (int)type, &value),
                    $"Creating a {type} tensor of shape {NodeMetadata.FormatShape(shape)} failed");
            }
        }
        catch
        {
            pin.Dispose();
            throw;
        }

        return new OrtTensor(new OrtValueHandle(value, pin), type, shape.ToArray(), pin.Pointer, count, isRuntimeOwned: false);
    }

    /// <summary>
    /// The elements in place (row-major): the caller's buffer, or ONNX Runtime's buffer for a run's output.
    /// Valid only until this tensor is disposed.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The tensor was disposed.</exception>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> does not match <see cref="ElementType"/>, or the tensor has more than <see cref="int.MaxValue"/> elements.</exception>
    public Span<T> GetSpan<T>()
        where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        TensorElementType requested = TensorElementTypes.Of<T>();
        if (requested != ElementType || requested == TensorElementType.Undefined)
        {
            throw new InvalidOperationException($"This tensor holds {ElementType} elements; it cannot be read as {typeof(T).Name}.");
        }

        if (ElementCount > int.MaxValue)
        {
            throw new InvalidOperationException($"The tensor has {ElementCount} elements, more than a span can address.");
        }

        return new Span<T>(_data, (int)ElementCount);
    }

    /// <summary>Copies the elements into a new array (row-major).</summary>
    /// <exception cref="ObjectDisposedException">The tensor was disposed.</exception>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> does not match <see cref="ElementType"/>.</exception>
    public T[] ToArray<T>()
        where T : unmanaged => GetSpan<T>().ToArray();

    /// <summary>Releases the native value and unpins the caller's buffer; safe to call more than once.</summary>
    public void Dispose() => _handle.Dispose();

    /// <inheritdoc/>
    public override string ToString() => $"OrtTensor<{ElementType}>{NodeMetadata.FormatShape(_shape)}";

    /// <summary>Takes ownership of an <c>OrtValue</c> that ONNX Runtime allocated (released here if it is unusable).</summary>
    internal static OrtTensor FromRuntimeValue(OrtApi api, nint value, string name)
    {
        var handle = new OrtValueHandle(value, default);
        try
        {
            int onnxType;
            api.Check(api.GetValueType(value, &onnxType));
            if (onnxType != 1)
            {
                throw new NotSupportedException($"Output '{name}' is not a tensor (ONNX value type {onnxType}); only tensor outputs are supported.");
            }

            nint info;
            api.Check(api.GetTensorTypeAndShape(value, &info));
            int elementType;
            long[] shape;
            nuint count;
            try
            {
                nuint rank;
                api.Check(api.GetTensorElementType(info, &elementType));
                api.Check(api.GetDimensionsCount(info, &rank));
                shape = new long[(int)rank];
                fixed (long* dims = shape)
                {
                    api.Check(api.GetDimensions(info, dims, rank));
                }

                api.Check(api.GetTensorShapeElementCount(info, &count));
            }
            finally
            {
                api.ReleaseTensorTypeAndShapeInfo(info);
            }

            void* data = null;
            if ((TensorElementType)elementType != TensorElementType.String)
            {
                api.Check(api.GetTensorMutableData(value, &data));
            }

            return new OrtTensor(handle, (TensorElementType)elementType, shape, data, (long)count, isRuntimeOwned: true);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }
}
