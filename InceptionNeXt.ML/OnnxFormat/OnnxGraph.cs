using Google.Protobuf;
using InceptionNeXt.ML.OnnxFormat.Proto;

namespace InceptionNeXt.ML.OnnxFormat;

/// <summary>
/// Builds an ONNX graph node by node: initializers from host arrays, unique value names, and the ModelProto
/// (opset, IR version, metadata) at the end. The zoo's modules add themselves through their ExportOnnx methods;
/// <see cref="OnnxHeadGrafting"/> appends to a graph read from a file.
/// </summary>
public sealed class OnnxGraph
{
    private readonly GraphProto graph;
    // Names of values and nodes already in the graph, and the next suffix to try per hint.
    private readonly HashSet<string> taken = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> nameCounts = new(StringComparer.Ordinal);
    private readonly Dictionary<(float, string), string> scalarCache = new();

    /// <summary>Opset version of the default domain.</summary>
    public int Opset { get; }

    /// <summary>Creates an empty graph for <paramref name="opset"/>.</summary>
    public OnnxGraph(int opset = 17)
    {
        if (opset < 17) throw new ArgumentOutOfRangeException(nameof(opset), opset, "The exporter needs opset 17 or newer (LayerNormalization).");
        Opset = opset;
        graph = new GraphProto { Name = "main" };
    }

    // Appends to an existing graph (of any opset): every name already in it is reserved.
    internal OnnxGraph(GraphProto existing, int opset)
    {
        graph = existing;
        Opset = opset;
        foreach (var input in graph.Input) taken.Add(input.Name);
        foreach (var tensor in graph.Initializer) taken.Add(tensor.Name);
        foreach (var node in graph.Node)
        {
            taken.Add(node.Name);
            taken.UnionWith(node.Output);
        }
    }

    /// <summary>A fresh value name derived from <paramref name="hint"/>.</summary>
    public string Unique(string hint)
    {
        var count = nameCounts.GetValueOrDefault(hint);
        var name = count == 0 ? hint : $"{hint}_{count}";
        while (!taken.Add(name)) name = $"{hint}_{++count}";
        nameCounts[hint] = count + 1;
        return name;
    }

    /// <summary>Declares a float32 graph input; dimensions are numbers or symbolic names.</summary>
    public string AddInput(string name, params object[] dims)
    {
        if (!taken.Add(name)) throw new InvalidOperationException($"Input name '{name}' is already used in the graph.");
        graph.Input.Add(ValueInfo(name, dims));
        return name;
    }

    /// <summary>Declares a graph output by renaming <paramref name="value"/> through an Identity node.</summary>
    public void AddOutput(string name, string value, params object[] dims)
    {
        if (taken.Contains(name)) throw new InvalidOperationException($"Output name '{name}' is already used in the graph.");
        AddNode("Identity", [value], name);
        graph.Output.Add(ValueInfo(name, dims));
    }

    /// <summary>Adds a float32 initializer and returns its name.</summary>
    public string AddInitializer(string hint, ReadOnlySpan<float> data, params long[] shape)
    {
        var name = Unique(hint);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(data)) };
        tensor.Dims.AddRange(shape);
        graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>Adds an int64 initializer (shapes, split sizes, axes) and returns its name.</summary>
    public string AddInt64Initializer(string hint, params long[] values)
    {
        var name = Unique(hint);
        var tensor = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Int64, RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan())) };
        tensor.Dims.Add(values.Length);
        graph.Initializer.Add(tensor);
        return name;
    }

    /// <summary>A shared scalar float constant (e.g. 0.5 or sqrt(2) of GELU).</summary>
    public string Scalar(float value, string hint = "const")
    {
        if (scalarCache.TryGetValue((value, hint), out var name)) return name;
        name = AddInitializer(hint, [value]);
        scalarCache[(value, hint)] = name;
        return name;
    }

    /// <summary>Adds a node with one output named from <paramref name="outputHint"/>; returns the output name.</summary>
    public string AddNode(string opType, IReadOnlyList<string> inputs, string? outputHint = null, params OnnxAttribute[] attributes) =>
        AddNode(opType, inputs, [outputHint ?? opType.ToLowerInvariant()], attributes)[0];

    /// <summary>Adds a node with several outputs; returns their names.</summary>
    public string[] AddNode(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string> outputHints, params OnnxAttribute[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = Unique(opType) };
        node.Input.AddRange(inputs);
        var outputs = outputHints.Select(Unique).ToArray();
        node.Output.AddRange(outputs);
        foreach (var a in attributes) node.Attribute.Add(a.ToProto());
        graph.Node.Add(node);
        return outputs;
    }

    /// <summary>Serialises the model with <paramref name="metadata"/> as metadata_props.</summary>
    public byte[] ToModelBytes(IReadOnlyDictionary<string, string> metadata, string producerVersion, string docString)
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "InceptionNeXt.NET",
            ProducerVersion = producerVersion,
            DocString = docString,
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return model.ToByteArray();
    }

    private static ValueInfoProto ValueInfo(string name, object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d switch
            {
                string symbol => new TensorShapeProto.Types.Dimension { DimParam = symbol },
                int i => new TensorShapeProto.Types.Dimension { DimValue = i },
                long l => new TensorShapeProto.Types.Dimension { DimValue = l },
                _ => throw new ArgumentException($"dimension {d} must be a number or a symbolic name"),
            });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}

/// <summary>A node attribute.</summary>
public sealed class OnnxAttribute
{
    private readonly AttributeProto proto;

    private OnnxAttribute(AttributeProto proto) => this.proto = proto;

    /// <summary>An integer attribute.</summary>
    public static OnnxAttribute Int(string name, long value) => new(new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value });

    /// <summary>A float attribute.</summary>
    public static OnnxAttribute Float(string name, float value) => new(new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value });

    /// <summary>A string attribute (UTF-8).</summary>
    public static OnnxAttribute Text(string name, string value) =>
        new(new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) });

    /// <summary>An integer-list attribute.</summary>
    public static OnnxAttribute Ints(string name, params long[] values)
    {
        var p = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        p.Ints.AddRange(values);
        return new(p);
    }

    internal AttributeProto ToProto() => proto;
}
