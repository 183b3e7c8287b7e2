using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using InceptionNeXt.ML.IO;
using InceptionNeXt.ML.OnnxFormat.Proto;

namespace InceptionNeXt.ML.OnnxFormat;

/// <summary>
/// Puts a trained <see cref="ClassifierHead"/> on top of an exported backbone, so that one ONNX file classifies
/// images on its own: the head reads the backbone's <c>features</c> output [N, F] and adds outputs <c>logits</c> and
/// <c>probabilities</c> [N, C]. The backbone's own <c>logits</c> and <c>pre_logits</c> outputs are dropped with the
/// nodes only they needed; <c>features</c> stays. The metadata keeps the backbone's preprocessing and input size and
/// gets the new labels and class count, the model name when given, and a <c>head</c> entry describing the head.
/// </summary>
public static class OnnxHeadGrafting
{
    /// <summary>Metadata key describing the grafted head (e.g. <c>mlp: 320-256-10</c>).</summary>
    public const string HeadMetadataKey = "head";

    // Outputs that the grafted head replaces.
    private static readonly string[] ReplacedOutputs = ["logits", "pre_logits", "probabilities"];

    /// <summary>Returns the model bytes of <paramref name="backboneModel"/> with <paramref name="head"/> grafted on.</summary>
    /// <param name="backboneModel">An ONNX model with a <c>features</c> output [N, F], as <c>inceptionnext export</c> writes.</param>
    /// <param name="head">The head; its <see cref="ClassifierHead.FeatureSize"/> must be F.</param>
    /// <param name="labels">One label per class of the head, stored in the metadata.</param>
    /// <param name="modelName">Replaces the <c>model_name</c> metadata when given.</param>
    /// <exception cref="InvalidDataException">The model cannot be read or has no usable <c>features</c> output.</exception>
    /// <exception cref="ArgumentException">The head does not fit the features, or the labels do not fit the head.</exception>
    public static byte[] Graft(byte[] backboneModel, ClassifierHead head, IReadOnlyList<string> labels, string? modelName = null)
    {
        ArgumentNullException.ThrowIfNull(backboneModel);
        ArgumentNullException.ThrowIfNull(head);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count != head.NumClasses)
            throw new ArgumentException($"{labels.Count} labels were given for a head with {head.NumClasses} classes.", nameof(labels));

        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(backboneModel);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"The backbone is not an ONNX model: {e.Message}", e);
        }
        var graph = model.Graph ?? throw NoFeatures("has no graph");
        var (batch, featureSize) = FeaturesShape(graph);
        if (featureSize != head.FeatureSize)
            throw new ArgumentException($"The backbone's features have {featureSize} values but the head takes {head.FeatureSize}.", nameof(head));
        var opset = model.OpsetImport.Where(o => string.IsNullOrEmpty(o.Domain)).Select(o => o.Version).DefaultIfEmpty(0).Max();
        if (opset < 13)
            throw new InvalidDataException($"The backbone uses ONNX opset {opset}; grafting needs 13 or newer (export it again).");

        foreach (var name in ReplacedOutputs)
            if (graph.Output.FirstOrDefault(o => o.Name == name) is { } old) graph.Output.Remove(old);
        Prune(graph);

        var builder = new OnnxGraph(graph, (int)opset);
        var logits = AppendHead(builder, head);
        var probabilities = builder.AddNode("Softmax", [logits], "head_softmax", OnnxAttribute.Int("axis", -1));
        builder.AddOutput("logits", logits, batch, head.NumClasses);
        builder.AddOutput("probabilities", probabilities, batch, head.NumClasses);
        // logits and probabilities first, like the exporter's logits-then-features order.
        var outputs = graph.Output.OrderBy(o => o.Name switch { "logits" => 0, "probabilities" => 1, _ => 2 }).ToList();
        graph.Output.Clear();
        graph.Output.AddRange(outputs);

        SetMetadata(model, "labels", JsonSerializer.Serialize(labels));
        SetMetadata(model, "num_classes", head.NumClasses.ToString(CultureInfo.InvariantCulture));
        SetMetadata(model, HeadMetadataKey, Describe(head));
        if (modelName is not null) SetMetadata(model, "model_name", modelName);
        return model.ToByteArray();
    }

    /// <summary>Grafts <paramref name="head"/> onto the model file <paramref name="backbonePath"/> and writes <paramref name="outputPath"/> (atomically).</summary>
    /// <exception cref="InvalidDataException">The model cannot be read or has no usable <c>features</c> output.</exception>
    /// <exception cref="ArgumentException">The head does not fit the features, or the labels do not fit the head.</exception>
    public static void Graft(string backbonePath, ClassifierHead head, IReadOnlyList<string> labels, string outputPath, string? modelName = null)
    {
        var bytes = Graft(File.ReadAllBytes(backbonePath), head, labels, modelName);
        AtomicFile.Write(outputPath, stream => stream.Write(bytes));
    }

    /// <summary>What the metadata says about <paramref name="head"/>: <c>logistic-regression</c> or <c>mlp: 320-256-10</c>.</summary>
    public static string Describe(ClassifierHead head) =>
        head.Layers.Count == 1
            ? "logistic-regression"
            : "mlp: " + string.Join('-', head.Layers.Select(l => l.InputSize).Append(head.NumClasses));

    private static (object Batch, long FeatureSize) FeaturesShape(GraphProto graph)
    {
        var features = graph.Output.FirstOrDefault(o => o.Name == "features")
            ?? throw NoFeatures("has no 'features' output");
        var tensor = features.Type?.TensorType;
        if (tensor is null || tensor.ElemType != (int)TensorProto.Types.DataType.Float)
            throw NoFeatures("has a 'features' output that is not a float32 tensor");
        var dims = tensor.Shape?.Dim;
        if (dims is not { Count: 2 } || dims[1].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
            throw NoFeatures("has a 'features' output that is not [N, F] with a fixed F");
        object batch = dims[0].ValueCase switch
        {
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue => dims[0].DimValue,
            TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => dims[0].DimParam,
            _ => "batch",
        };
        return (batch, dims[1].DimValue);
    }

    private static InvalidDataException NoFeatures(string problem) =>
        new($"The backbone {problem}; export it with `inceptionnext export`, which writes the pooled backbone features as 'features' [N, F].");

    // (x - mean) * scale, then Gemm (x W^T + b, W row-major [out, in]) per layer with Relu between layers.
    private static string AppendHead(OnnxGraph graph, ClassifierHead head)
    {
        var activation = head.Activation == HeadActivation.Relu
            ? "Relu"
            : throw new NotSupportedException($"Activation {head.Activation} has no ONNX form here.");
        var x = graph.AddNode("Sub", ["features", graph.AddInitializer("head.feature_mean", head.FeatureMean, head.FeatureSize)], "head_centred");
        x = graph.AddNode("Mul", [x, graph.AddInitializer("head.feature_scale", head.FeatureScale, head.FeatureSize)], "head_standardised");
        for (var i = 0; i < head.Layers.Count; i++)
        {
            var layer = head.Layers[i];
            if (i > 0) x = graph.AddNode(activation, [x], $"head_relu{i - 1}");
            var weight = graph.AddInitializer($"head.fc{i}.weight", layer.Weights, layer.OutputSize, layer.InputSize);
            var bias = graph.AddInitializer($"head.fc{i}.bias", layer.Bias, layer.OutputSize);
            x = graph.AddNode("Gemm", [x, weight, bias], $"head_fc{i}", OnnxAttribute.Int("transB", 1));
        }
        return x;
    }

    // Drops nodes that no graph output needs (nodes are topologically sorted, so one backward pass finds them all),
    // then initializers and value_info entries that only those nodes used or produced.
    private static void Prune(GraphProto graph)
    {
        var needed = new HashSet<string>(graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        var kept = new List<NodeProto>();
        for (var i = graph.Node.Count - 1; i >= 0; i--)
        {
            var node = graph.Node[i];
            if (!node.Output.Any(needed.Contains)) continue;
            kept.Add(node);
            needed.UnionWith(node.Input);
            foreach (var attribute in node.Attribute) AddOuterReferences(attribute, needed);
        }
        kept.Reverse();
        graph.Node.Clear();
        graph.Node.AddRange(kept);

        var inputs = graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        // An initializer that is also a graph input is an overridable input: removing it would make the input required.
        var initializers = graph.Initializer.Where(t => needed.Contains(t.Name) || inputs.Contains(t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(initializers);

        var produced = kept.SelectMany(n => n.Output).ToHashSet(StringComparer.Ordinal);
        var valueInfo = graph.ValueInfo.Where(v => produced.Contains(v.Name)).ToList();
        graph.ValueInfo.Clear();
        graph.ValueInfo.AddRange(valueInfo);
    }

    // A subgraph (If, Loop, Scan) may read any value of the enclosing graph by name: keep everything its nodes read.
    private static void AddOuterReferences(AttributeProto attribute, HashSet<string> needed)
    {
        foreach (var subgraph in attribute.Graphs.Prepend(attribute.G))
        {
            if (subgraph is null) continue;
            foreach (var node in subgraph.Node)
            {
                needed.UnionWith(node.Input);
                foreach (var inner in node.Attribute) AddOuterReferences(inner, needed);
            }
        }
    }

    private static void SetMetadata(ModelProto model, string key, string value)
    {
        var entry = model.MetadataProps.FirstOrDefault(p => p.Key == key);
        if (entry is null) model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        else entry.Value = value;
    }
}
