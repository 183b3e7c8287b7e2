namespace InceptionNeXt.Training.Checkpoints;

/// <summary>Element type of a <see cref="TensorData"/>, covering the dtypes found in PyTorch and safetensors checkpoints.</summary>
public enum TensorDType
{
    /// <summary>IEEE 754 single precision (torch.float32, safetensors "F32").</summary>
    Float32,

    /// <summary>IEEE 754 double precision (torch.float64, safetensors "F64").</summary>
    Float64,

    /// <summary>IEEE 754 half precision (torch.float16, safetensors "F16").</summary>
    Float16,

    /// <summary>Brain floating point: the upper 16 bits of a float32 (torch.bfloat16, safetensors "BF16").</summary>
    BFloat16,

    /// <summary>Signed 64-bit integer (torch.int64, safetensors "I64").</summary>
    Int64,

    /// <summary>Signed 32-bit integer (torch.int32, safetensors "I32").</summary>
    Int32,

    /// <summary>Signed 16-bit integer (torch.int16, safetensors "I16").</summary>
    Int16,

    /// <summary>Signed 8-bit integer (torch.int8, safetensors "I8").</summary>
    Int8,

    /// <summary>Unsigned 8-bit integer (torch.uint8, safetensors "U8").</summary>
    UInt8,

    /// <summary>Boolean stored as one byte, 0 or 1 (torch.bool, safetensors "BOOL").</summary>
    Bool,
}

/// <summary>Helpers for <see cref="TensorDType"/>: element sizes and the names used by the file formats.</summary>
public static class TensorDTypeExtensions
{
    /// <summary>Size in bytes of one element of <paramref name="dtype"/>.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>1, 2, 4 or 8.</returns>
    public static int ElementSize(this TensorDType dtype) => dtype switch
    {
        TensorDType.Float64 or TensorDType.Int64 => 8,
        TensorDType.Float32 or TensorDType.Int32 => 4,
        TensorDType.Float16 or TensorDType.BFloat16 or TensorDType.Int16 => 2,
        TensorDType.Int8 or TensorDType.UInt8 or TensorDType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown tensor dtype."),
    };

    /// <summary>Whether <paramref name="dtype"/> is a floating point type.</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>True for Float32, Float64, Float16 and BFloat16.</returns>
    public static bool IsFloatingPoint(this TensorDType dtype) =>
        dtype is TensorDType.Float32 or TensorDType.Float64 or TensorDType.Float16 or TensorDType.BFloat16;

    /// <summary>The dtype string used in a safetensors header ("F32", "BF16", "BOOL", ...).</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>The safetensors name.</returns>
    public static string ToSafeTensorsName(this TensorDType dtype) => dtype switch
    {
        TensorDType.Float32 => "F32",
        TensorDType.Float64 => "F64",
        TensorDType.Float16 => "F16",
        TensorDType.BFloat16 => "BF16",
        TensorDType.Int64 => "I64",
        TensorDType.Int32 => "I32",
        TensorDType.Int16 => "I16",
        TensorDType.Int8 => "I8",
        TensorDType.UInt8 => "U8",
        TensorDType.Bool => "BOOL",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown tensor dtype."),
    };

    /// <summary>Parses a safetensors dtype string.</summary>
    /// <param name="name">The dtype string from a safetensors header.</param>
    /// <param name="dtype">The parsed element type.</param>
    /// <returns>False when the name is not one of the supported dtypes.</returns>
    public static bool TryParseSafeTensorsName(string name, out TensorDType dtype)
    {
        switch (name)
        {
            case "F32": dtype = TensorDType.Float32; return true;
            case "F64": dtype = TensorDType.Float64; return true;
            case "F16": dtype = TensorDType.Float16; return true;
            case "BF16": dtype = TensorDType.BFloat16; return true;
            case "I64": dtype = TensorDType.Int64; return true;
            case "I32": dtype = TensorDType.Int32; return true;
            case "I16": dtype = TensorDType.Int16; return true;
            case "I8": dtype = TensorDType.Int8; return true;
            case "U8": dtype = TensorDType.UInt8; return true;
            case "BOOL": dtype = TensorDType.Bool; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>The PyTorch name of the dtype without the "torch." prefix ("float32", "bfloat16", "bool", ...).</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>The torch dtype attribute name.</returns>
    public static string ToTorchName(this TensorDType dtype) => dtype switch
    {
        TensorDType.Float32 => "float32",
        TensorDType.Float64 => "float64",
        TensorDType.Float16 => "float16",
        TensorDType.BFloat16 => "bfloat16",
        TensorDType.Int64 => "int64",
        TensorDType.Int32 => "int32",
        TensorDType.Int16 => "int16",
        TensorDType.Int8 => "int8",
        TensorDType.UInt8 => "uint8",
        TensorDType.Bool => "bool",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown tensor dtype."),
    };

    /// <summary>The legacy PyTorch storage class name for the dtype ("FloatStorage", "HalfStorage", ...).</summary>
    /// <param name="dtype">The element type.</param>
    /// <returns>The storage class name inside the <c>torch</c> module.</returns>
    public static string ToTorchStorageName(this TensorDType dtype) => dtype switch
    {
        TensorDType.Float32 => "FloatStorage",
        TensorDType.Float64 => "DoubleStorage",
        TensorDType.Float16 => "HalfStorage",
        TensorDType.BFloat16 => "BFloat16Storage",
        TensorDType.Int64 => "LongStorage",
        TensorDType.Int32 => "IntStorage",
        TensorDType.Int16 => "ShortStorage",
        TensorDType.Int8 => "CharStorage",
        TensorDType.UInt8 => "ByteStorage",
        TensorDType.Bool => "BoolStorage",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown tensor dtype."),
    };

    internal static bool TryParseTorchStorageName(string name, out TensorDType dtype)
    {
        foreach (TensorDType candidate in Enum.GetValues<TensorDType>())
        {
            if (candidate.ToTorchStorageName() == name)
            {
                dtype = candidate;
                return true;
            }
        }

        dtype = default;
        return false;
    }

    internal static bool TryParseTorchName(string name, out TensorDType dtype)
    {
        switch (name)
        {
            case "float": dtype = TensorDType.Float32; return true;
            case "double": dtype = TensorDType.Float64; return true;
            case "half": dtype = TensorDType.Float16; return true;
            case "long": dtype = TensorDType.Int64; return true;
            case "int": dtype = TensorDType.Int32; return true;
            case "short": dtype = TensorDType.Int16; return true;
        }

        foreach (TensorDType candidate in Enum.GetValues<TensorDType>())
        {
            if (candidate.ToTorchName() == name)
            {
                dtype = candidate;
                return true;
            }
        }

        dtype = default;
        return false;
    }
}
