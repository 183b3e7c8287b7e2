using InceptionNeXt.Training.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// Copies between TorchSharp tensors and host-side <see cref="TensorData"/>, the form our own safe .pth and safetensors
/// readers and writers use (no pickle code runs when a checkpoint is read).
/// </summary>
public static class TorchTensorData
{
    /// <summary>Copies a tensor (any device, any strides) to the host as checkpoint data, keeping its element type.</summary>
    public static TensorData ToTensorData(this Tensor tensor)
    {
        using var host = tensor.detach().cpu().contiguous();
        return new TensorData(ToDType(host.dtype), host.shape, host.bytes.ToArray());
    }

    /// <summary>Creates a TorchSharp tensor from checkpoint data, on <paramref name="device"/> (the CPU when null).</summary>
    public static Tensor ToTorchSharp(this TensorData data, Device? device = null)
    {
        var host = empty(data.Shape, ToScalarType(data.DType));
        if (data.Data.Length > 0) host.bytes = data.Data;
        if (device is null || device.type == DeviceType.CPU) return host;
        using (host) return host.to(device);
    }

    /// <summary>The checkpoint element type for a TorchSharp element type.</summary>
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
        ScalarType.Byte => TensorDType.UInt8,
        ScalarType.Bool => TensorDType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "no checkpoint element type for it"),
    };

    /// <summary>The TorchSharp element type for a checkpoint element type.</summary>
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
        TensorDType.UInt8 => ScalarType.Byte,
        TensorDType.Bool => ScalarType.Bool,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };
}
