using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace InceptionNeXt.Training.Checkpoints;

/// <summary>
/// A dense tensor as raw bytes: element type, shape and a contiguous row-major little-endian buffer.
/// This is the interchange type of the checkpoint readers and writers; it never touches libtorch.
/// </summary>
public sealed class TensorData
{
    /// <summary>Creates a tensor over <paramref name="data"/> (not copied).</summary>
    /// <param name="dtype">Element type.</param>
    /// <param name="shape">Dimensions (empty for a 0-dim scalar); every entry must be non-negative.</param>
    /// <param name="data">Contiguous row-major little-endian bytes; the length must be numel * element size.</param>
    public TensorData(TensorDType dtype, long[] shape, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long numel = ComputeNumel(shape) ?? throw new ArgumentException("Shape has a negative dimension or its element count overflows.", nameof(shape));
        long expected = checked(numel * dtype.ElementSize());
        if (data.LongLength != expected)
        {
            throw new ArgumentException($"Data has {data.LongLength} bytes but a {dtype} tensor of shape [{string.Join(", ", shape)}] needs {expected}.", nameof(data));
        }

        DType = dtype;
        Shape = shape;
        Data = data;
        Numel = numel;
    }

    /// <summary>Element type.</summary>
    public TensorDType DType { get; }

    /// <summary>Dimensions; empty for a 0-dim scalar.</summary>
    public long[] Shape { get; }

    /// <summary>Contiguous row-major little-endian element bytes.</summary>
    public byte[] Data { get; }

    /// <summary>Number of elements (the product of <see cref="Shape"/>, 1 for a scalar).</summary>
    public long Numel { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>Creates a Float32 tensor by copying <paramref name="values"/>.</summary>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Dimensions; their product must equal the number of values.</param>
    /// <returns>The tensor.</returns>
    public static TensorData FromFloat32(ReadOnlySpan<float> values, long[] shape) =>
        new(TensorDType.Float32, shape, ToLittleEndianBytes(values, static (d, v) => BinaryPrimitives.WriteSingleLittleEndian(d, v)));

    /// <summary>Creates a Float64 tensor by copying <paramref name="values"/>.</summary>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Dimensions; their product must equal the number of values.</param>
    /// <returns>The tensor.</returns>
    public static TensorData FromFloat64(ReadOnlySpan<double> values, long[] shape) =>
        new(TensorDType.Float64, shape, ToLittleEndianBytes(values, static (d, v) => BinaryPrimitives.WriteDoubleLittleEndian(d, v)));

    /// <summary>Creates a Float16 tensor by copying <paramref name="values"/>.</summary>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Dimensions; their product must equal the number of values.</param>
    /// <returns>The tensor.</returns>
    public static TensorData FromFloat16(ReadOnlySpan<Half> values, long[] shape) =>
        new(TensorDType.Float16, shape, ToLittleEndianBytes(values, static (d, v) => BinaryPrimitives.WriteHalfLittleEndian(d, v)));

    /// <summary>Creates a BFloat16 tensor from float values, rounding each to the nearest bfloat16 (ties to even; NaN stays NaN).</summary>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Dimensions; their product must equal the number of values.</param>
    /// <returns>The tensor.</returns>
    public static TensorData FromFloat32AsBFloat16(ReadOnlySpan<float> values, long[] shape)
    {
        var bytes = new byte[checked(values.Length * 2)];
        for (int i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), FloatToBFloat16Bits(values[i]));
        }

        return new TensorData(TensorDType.BFloat16, shape, bytes);
    }

    /// <summary>Creates an Int64 tensor by copying <paramref name="values"/>.</summary>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Dimensions; their product must equal the number of values.</param>
    /// <returns>The tensor.</returns>
    public static TensorData FromInt64(ReadOnlySpan<long> values, long[] shape) =>
        new(TensorDType.Int64, shape, ToLittleEndianBytes(values, static (d, v) => BinaryPrimitives.WriteInt64LittleEndian(d, v)));

    /// <summary>Creates an Int32 tensor by copying <paramref name="values"/>.</summary>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Dimensions; their product must equal the number of values.</param>
    /// <returns>The tensor.</returns>
    public static TensorData FromInt32(ReadOnlySpan<int> values, long[] shape) =>
        new(TensorDType.Int32, shape, ToLittleEndianBytes(values, static (d, v) => BinaryPrimitives.WriteInt32LittleEndian(d, v)));

    /// <summary>Creates a Bool tensor by copying <paramref name="values"/>.</summary>
    /// <param name="values">Row-major values.</param>
    /// <param name="shape">Dimensions; their product must equal the number of values.</param>
    /// <returns>The tensor.</returns>
    public static TensorData FromBool(ReadOnlySpan<bool> values, long[] shape) =>
        new(TensorDType.Bool, shape, ToLittleEndianBytes(values, static (d, v) => d[0] = v ? (byte)1 : (byte)0));

    /// <summary>Creates a 0-dim Int64 scalar (e.g. a BatchNorm num_batches_tracked).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The tensor.</returns>
    public static TensorData ScalarInt64(long value) => FromInt64([value], []);

    /// <summary>Converts every element to float32 (float16/bfloat16 exactly, float64 and integers rounded to nearest, bool as 0/1).</summary>
    /// <returns>A new array of <see cref="Numel"/> values.</returns>
    public float[] ToFloat32()
    {
        var result = new float[Numel];
        ReadOnlySpan<byte> d = Data;
        switch (DType)
        {
            case TensorDType.Float32:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(d[(i * 4)..]);
                break;
            case TensorDType.Float64:
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(d[(i * 8)..]);
                break;
            case TensorDType.Float16:
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(d[(i * 2)..]);
                break;
            case TensorDType.BFloat16:
                for (int i = 0; i < result.Length; i++) result[i] = BFloat16BitsToFloat(BinaryPrimitives.ReadUInt16LittleEndian(d[(i * 2)..]));
                break;
            default:
                long[] ints = ToInt64();
                for (int i = 0; i < result.Length; i++) result[i] = ints[i];
                break;
        }

        return result;
    }

    /// <summary>Converts every element to float64 (exact for every dtype except Int64 values beyond 2^53).</summary>
    /// <returns>A new array of <see cref="Numel"/> values.</returns>
    public double[] ToFloat64()
    {
        if (DType == TensorDType.Float64)
        {
            var result = new double[Numel];
            for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadDoubleLittleEndian(Data.AsSpan(i * 8));
            return result;
        }

        if (DType.IsFloatingPoint())
        {
            return Array.ConvertAll(ToFloat32(), static v => (double)v);
        }

        return Array.ConvertAll(ToInt64(), static v => (double)v);
    }

    /// <summary>Converts every element to Int64 (integers and bool exactly; floating point values truncated toward zero like torch's <c>.long()</c>, NaN becomes 0).</summary>
    /// <returns>A new array of <see cref="Numel"/> values.</returns>
    public long[] ToInt64()
    {
        var result = new long[Numel];
        ReadOnlySpan<byte> d = Data;
        switch (DType)
        {
            case TensorDType.Int64:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(d[(i * 8)..]);
                break;
            case TensorDType.Int32:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt32LittleEndian(d[(i * 4)..]);
                break;
            case TensorDType.Int16:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt16LittleEndian(d[(i * 2)..]);
                break;
            case TensorDType.Int8:
                for (int i = 0; i < result.Length; i++) result[i] = (sbyte)d[i];
                break;
            case TensorDType.UInt8:
                for (int i = 0; i < result.Length; i++) result[i] = d[i];
                break;
            case TensorDType.Bool:
                for (int i = 0; i < result.Length; i++) result[i] = d[i] != 0 ? 1 : 0;
                break;
            case TensorDType.Float64:
                for (int i = 0; i < result.Length; i++) result[i] = TruncateToInt64(BinaryPrimitives.ReadDoubleLittleEndian(d[(i * 8)..]));
                break;
            default:
                float[] floats = ToFloat32();
                for (int i = 0; i < result.Length; i++) result[i] = TruncateToInt64(floats[i]);
                break;
        }

        return result;
    }

    /// <summary>Returns a short description such as "Float32[64, 3, 7, 7]".</summary>
    /// <returns>The description.</returns>
    public override string ToString() => $"{DType}[{string.Join(", ", Shape)}]";

    /// <summary>Converts bfloat16 bits to float (exact).</summary>
    /// <param name="bits">The 16 bfloat16 bits.</param>
    /// <returns>The float value.</returns>
    public static float BFloat16BitsToFloat(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Rounds a float to bfloat16 bits (round to nearest, ties to even; NaN stays a quiet NaN).</summary>
    /// <param name="value">The float value.</param>
    /// <returns>The 16 bfloat16 bits.</returns>
    public static ushort FloatToBFloat16Bits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return (ushort)((bits >> 16) | 0x0040);
        }

        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    internal static long? ComputeNumel(ReadOnlySpan<long> shape)
    {
        long numel = 1;
        foreach (long dim in shape)
        {
            if (dim < 0)
            {
                return null;
            }

            try
            {
                numel = checked(numel * dim);
            }
            catch (OverflowException)
            {
                return null;
            }
        }

        return numel;
    }

    private static long TruncateToInt64(double v) => double.IsNaN(v) ? 0 : (long)Math.Clamp(Math.Truncate(v), long.MinValue, long.MaxValue);

    private delegate void ElementWriter<T>(Span<byte> destination, T value);

    private static byte[] ToLittleEndianBytes<T>(ReadOnlySpan<T> values, ElementWriter<T> write)
        where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        var bytes = new byte[checked(values.Length * size)];
        if (BitConverter.IsLittleEndian && typeof(T) != typeof(bool))
        {
            MemoryMarshal.AsBytes(values).CopyTo(bytes);
            return bytes;
        }

        for (int i = 0; i < values.Length; i++)
        {
            write(bytes.AsSpan(i * size, size), values[i]);
        }

        return bytes;
    }
}
