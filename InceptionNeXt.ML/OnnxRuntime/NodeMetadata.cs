using System.Runtime.InteropServices;
using System.Text;

namespace InceptionNeXt.ML.OnnxRuntime;

/// <summary>A model input or output as ONNX Runtime reports it: name, element type and (possibly dynamic) shape.</summary>
public sealed class NodeMetadata
{
    private readonly long[] _dimensions;
    private readonly string[] _symbolicDimensions;

    internal NodeMetadata(string name, bool isTensor, TensorElementType elementType, long[] dimensions, string[] symbolicDimensions)
    {
        Name = name;
        IsTensor = isTensor;
        ElementType = elementType;
        _dimensions = dimensions;
        _symbolicDimensions = symbolicDimensions;
    }

    /// <summary>The input or output name.</summary>
    public string Name { get; }

    /// <summary>Whether this is a tensor (false for sequences, maps and other non-tensor values).</summary>
    public bool IsTensor { get; }

    /// <summary>The tensor element type (<see cref="TensorElementType.Undefined"/> for non-tensors).</summary>
    public TensorElementType ElementType { get; }

    /// <summary>The shape; -1 marks a dynamic dimension. A copy: changing it changes nothing.</summary>
    public long[] Dimensions => (long[])_dimensions.Clone();

    /// <summary>Symbolic names of the dimensions (e.g. "batch"); "" where a dimension is fixed or unnamed. A copy.</summary>
    public string[] SymbolicDimensions => (string[])_symbolicDimensions.Clone();

    /// <summary>The number of dimensions.</summary>
    public int Rank => _dimensions.Length;

    /// <summary>Whether any dimension is dynamic.</summary>
    public bool HasDynamicDimensions => _dimensions.Any(d => d < 0);

    internal ReadOnlySpan<long> DimensionsSpan => _dimensions;

    internal ReadOnlySpan<string> SymbolicDimensionsSpan => _symbolicDimensions;

    /// <summary>The shape written like "[-1,3,224,224] (batch dynamic)".</summary>
    public string DescribeShape()
    {
        var text = new StringBuilder(FormatShape(_dimensions));
        var dynamic = new List<string>();
        for (int i = 0; i < _dimensions.Length; i++)
        {
            if (_dimensions[i] < 0)
            {
                dynamic.Add(_symbolicDimensions[i].Length > 0 ? _symbolicDimensions[i] : $"dim {i}");
            }
        }

        if (dynamic.Count > 0)
        {
            text.Append(" (").Append(string.Join(", ", dynamic)).Append(" dynamic)");
        }

        return text.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {ElementType} {DescribeShape()}";

    /// <summary>Formats a shape as "[1,3,224,224]".</summary>
    internal static string FormatShape(ReadOnlySpan<long> shape)
    {
        var text = new StringBuilder("[");
        for (int i = 0; i < shape.Length; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(shape[i]);
        }

        return text.Append(']').ToString();
    }

    /// <summary>Reads name, type and shape from an <c>OrtTypeInfo</c> (which the caller still owns).</summary>
    internal static unsafe NodeMetadata FromTypeInfo(OrtApi api, string name, nint typeInfo)
    {
        nint tensorInfo;
        api.Check(api.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo));
        if (tensorInfo == 0)
        {
            return new NodeMetadata(name, isTensor: false, TensorElementType.Undefined, [], []);
        }

        // The tensor info belongs to the type info: read it, never release it.
        int elementType;
        nuint rank;
        api.Check(api.GetTensorElementType(tensorInfo, &elementType));
        api.Check(api.GetDimensionsCount(tensorInfo, &rank));
        var dimensions = new long[(int)rank];
        var symbolic = new string[(int)rank];
        if (rank > 0)
        {
            var names = new nint[(int)rank];
            fixed (long* d = dimensions)
            fixed (nint* n = names)
            {
                api.Check(api.GetDimensions(tensorInfo, d, rank));
                api.Check(api.GetSymbolicDimensions(tensorInfo, (byte**)n, rank));
            }

            for (int i = 0; i < symbolic.Length; i++)
            {
                symbolic[i] = names[i] == 0 ? string.Empty : Marshal.PtrToStringUTF8(names[i]) ?? string.Empty;
                if (dimensions[i] >= 0)
                {
                    symbolic[i] = string.Empty;
                }
            }
        }

        return new NodeMetadata(name, isTensor: true, (TensorElementType)elementType, dimensions, symbolic);
    }
}
