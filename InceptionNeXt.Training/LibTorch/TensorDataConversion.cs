using InceptionNeXt.Training.Checkpoints;

namespace InceptionNeXt.Training.LibTorch;

/// <summary>Copies between libtorch tensors and host-side <see cref="TensorData"/> (checkpoint entries).</summary>
public static class TensorDataConversion
{
    /// <summary>Copies a tensor to the host as checkpoint data, keeping its element type.</summary>
    public static TensorData ToTensorData(this Tensor tensor)
    {
        var type = tensor.DType;
        var bytes = new byte[checked(tensor.Numel * type.ElementSize())];
        tensor.CopyTo(bytes, type);
        return new TensorData(ToDType(type), tensor.Shape, bytes);
    }

    /// <summary>Creates a tensor from checkpoint data on <paramref name="device"/>.</summary>
    public static Tensor ToTensor(this TensorData data, Device? device = null) =>
        Torch.FromBytes(data.Data, data.Shape, ToScalarType(data.DType), device);

    /// <summary>The checkpoint element type for a tensor element type.</summary>
    public static TensorDType ToDType(ScalarType type) => type switch
    {
        ScalarType.Float32 => TensorDType.Float32,
        ScalarType.Float64 => TensorDType.Float64,
        ScalarType.Float16 => TensorDType.Float16,
        ScalarType.BFloat16 => TensorDType.BFloat16,
        ScalarType.Int64 => TensorDType.Int64,
        ScalarType.Int32 => TensorDType.Int32,
        ScalarType.Int16 => TensorDType.Int16,
        ScalarType.Int8 => TensorDType.Int8,
        ScalarType.UInt8 => TensorDType.UInt8,
        ScalarType.Bool => TensorDType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    /// <summary>The tensor element type for a checkpoint element type.</summary>
    public static ScalarType ToScalarType(TensorDType type) => type switch
    {
        TensorDType.Float32 => ScalarType.Float32,
        TensorDType.Float64 => ScalarType.Float64,
        TensorDType.Float16 => ScalarType.Float16,
        TensorDType.BFloat16 => ScalarType.BFloat16,
        TensorDType.Int64 => ScalarType.Int64,
        TensorDType.Int32 => ScalarType.Int32,
        TensorDType.Int16 => ScalarType.Int16,
        TensorDType.Int8 => ScalarType.Int8,
        TensorDType.UInt8 => ScalarType.UInt8,
        TensorDType.Bool => ScalarType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
