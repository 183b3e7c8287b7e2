namespace InceptionNeXt.Training.LibTorch;

/// <summary>Tensor element types. The numbering is the native shim's and matches <c>Checkpoints.TensorDType</c>.</summary>
public enum ScalarType
{
    /// <summary>32-bit float.</summary>
    Float32 = 0,
    /// <summary>64-bit float.</summary>
    Float64 = 1,
    /// <summary>IEEE half precision.</summary>
    Float16 = 2,
    /// <summary>bfloat16.</summary>
    BFloat16 = 3,
    /// <summary>64-bit integer (class indices, counters).</summary>
    Int64 = 4,
    /// <summary>32-bit integer.</summary>
    Int32 = 5,
    /// <summary>16-bit integer.</summary>
    Int16 = 6,
    /// <summary>8-bit signed integer.</summary>
    Int8 = 7,
    /// <summary>8-bit unsigned integer (pixels).</summary>
    UInt8 = 8,
    /// <summary>Boolean.</summary>
    Bool = 9,
}

/// <summary>Helpers for <see cref="ScalarType"/>.</summary>
public static class ScalarTypeExtensions
{
    /// <summary>Size of one element in bytes.</summary>
    public static int ElementSize(this ScalarType type) => type switch
    {
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };

    /// <summary>True for floating-point types (the ones that can require gradients).</summary>
    public static bool IsFloatingPoint(this ScalarType type) =>
        type is ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16;
}
