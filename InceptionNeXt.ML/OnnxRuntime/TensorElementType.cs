namespace InceptionNeXt.ML.OnnxRuntime;

/// <summary>Tensor element types; the values mirror ONNX's <c>ONNXTensorElementDataType</c> (TensorProto.DataType).</summary>
public enum TensorElementType
{
    /// <summary>Unknown or not a tensor.</summary>
    Undefined = 0,

    /// <summary>32-bit IEEE float (<see cref="float"/>).</summary>
    Float = 1,

    /// <summary>Unsigned 8-bit integer (<see cref="byte"/>).</summary>
    UInt8 = 2,

    /// <summary>Signed 8-bit integer (<see cref="sbyte"/>).</summary>
    Int8 = 3,

    /// <summary>Unsigned 16-bit integer (<see cref="ushort"/>).</summary>
    UInt16 = 4,

    /// <summary>Signed 16-bit integer (<see cref="short"/>).</summary>
    Int16 = 5,

    /// <summary>Signed 32-bit integer (<see cref="int"/>).</summary>
    Int32 = 6,

    /// <summary>Signed 64-bit integer (<see cref="long"/>).</summary>
    Int64 = 7,

    /// <summary>UTF-8 string (not supported over caller memory).</summary>
    String = 8,

    /// <summary>Boolean stored in one byte (<see cref="bool"/>).</summary>
    Bool = 9,

    /// <summary>16-bit IEEE float (<see cref="Half"/>).</summary>
    Float16 = 10,

    /// <summary>64-bit IEEE float (<see cref="double"/>).</summary>
    Double = 11,

    /// <summary>Unsigned 32-bit integer (<see cref="uint"/>).</summary>
    UInt32 = 12,

    /// <summary>Unsigned 64-bit integer (<see cref="ulong"/>).</summary>
    UInt64 = 13,

    /// <summary>Complex number of two floats.</summary>
    Complex64 = 14,

    /// <summary>Complex number of two doubles.</summary>
    Complex128 = 15,

    /// <summary>bfloat16 (no .NET element type).</summary>
    BFloat16 = 16,

    /// <summary>8-bit float E4M3FN.</summary>
    Float8E4M3FN = 17,

    /// <summary>8-bit float E4M3FNUZ.</summary>
    Float8E4M3FNUZ = 18,

    /// <summary>8-bit float E5M2.</summary>
    Float8E5M2 = 19,

    /// <summary>8-bit float E5M2FNUZ.</summary>
    Float8E5M2FNUZ = 20,

    /// <summary>Packed unsigned 4-bit integer.</summary>
    UInt4 = 21,

    /// <summary>Packed signed 4-bit integer.</summary>
    Int4 = 22,
}
