using System.Numerics.Tensors;

namespace InceptionNeXt.ML.OnnxFormat;

/// <summary>Non-linearity between the dense layers of a <see cref="ClassifierHead"/>.</summary>
public enum HeadActivation
{
    /// <summary>max(0, x).</summary>
    Relu,
}

/// <summary>One fully connected layer: <c>y = W x + b</c> with <c>W</c> stored row-major as [OutputSize, InputSize].</summary>
public sealed class DenseLayer
{
    /// <summary>Creates a layer; the arrays are taken, not copied.</summary>
    public DenseLayer(int inputSize, int outputSize, float[] weights, float[] bias)
    {
        if (inputSize < 1 || outputSize < 1) throw new ArgumentOutOfRangeException(nameof(inputSize), "Layer sizes must be positive.");
        if (weights.Length != inputSize * outputSize) throw new ArgumentException($"A {inputSize}->{outputSize} layer needs {inputSize * outputSize} weights, got {weights.Length}.", nameof(weights));
        if (bias.Length != outputSize) throw new ArgumentException($"A {inputSize}->{outputSize} layer needs {outputSize} biases, got {bias.Length}.", nameof(bias));
        InputSize = inputSize;
        OutputSize = outputSize;
        Weights = weights;
        Bias = bias;
    }

    /// <summary>Input width.</summary>
    public int InputSize { get; }

    /// <summary>Output width.</summary>
    public int OutputSize { get; }

    /// <summary>Row-major [OutputSize, InputSize].</summary>
    public float[] Weights { get; }

    /// <summary>[OutputSize].</summary>
    public float[] Bias { get; }

    /// <summary>Writes <c>W x + b</c> into <paramref name="output"/>.</summary>
    public void Apply(ReadOnlySpan<float> input, Span<float> output)
    {
        for (var o = 0; o < OutputSize; o++)
            output[o] = TensorPrimitives.Dot(Weights.AsSpan(o * InputSize, InputSize), input) + Bias[o];
    }
}

/// <summary>
/// A trained classification head over backbone features: per-feature standardisation, then dense layers with
/// <see cref="Activation"/> between them; the last layer gives one logit per class. Immutable and thread-safe.
/// Taken from a trained ML.NET pipeline by <see cref="MLNet.MLNetClassifierHead"/> (or built by hand) and grafted onto
/// the backbone by <see cref="OnnxHeadGrafting"/> when a single ONNX file is exported.
/// </summary>
public sealed class ClassifierHead
{
    /// <summary>Creates a head; <paramref name="featureMean"/> and <paramref name="featureScale"/> standardise the input as (x - mean) * scale.</summary>
    public ClassifierHead(float[] featureMean, float[] featureScale, IReadOnlyList<DenseLayer> layers, HeadActivation activation = HeadActivation.Relu)
    {
        if (layers.Count == 0) throw new ArgumentException("A head needs at least one layer.", nameof(layers));
        if (featureMean.Length != layers[0].InputSize || featureScale.Length != layers[0].InputSize)
            throw new ArgumentException($"Standardisation has {featureMean.Length}/{featureScale.Length} entries but the first layer takes {layers[0].InputSize} features.");
        for (var i = 1; i < layers.Count; i++)
            if (layers[i].InputSize != layers[i - 1].OutputSize)
                throw new ArgumentException($"Layer {i} takes {layers[i].InputSize} inputs but layer {i - 1} gives {layers[i - 1].OutputSize}.", nameof(layers));
        FeatureMean = featureMean;
        FeatureScale = featureScale;
        Layers = layers;
        Activation = activation;
    }

    /// <summary>Per-feature mean subtracted first.</summary>
    public float[] FeatureMean { get; }

    /// <summary>Per-feature factor applied after the mean (1/std).</summary>
    public float[] FeatureScale { get; }

    /// <summary>Dense layers, first to last.</summary>
    public IReadOnlyList<DenseLayer> Layers { get; }

    /// <summary>Activation between layers (not after the last).</summary>
    public HeadActivation Activation { get; }

    /// <summary>Expected feature length.</summary>
    public int FeatureSize => Layers[0].InputSize;

    /// <summary>Number of classes (logits).</summary>
    public int NumClasses => Layers[^1].OutputSize;

    /// <summary>Logits of one feature vector.</summary>
    public float[] Logits(ReadOnlySpan<float> features)
    {
        if (features.Length != FeatureSize)
            throw new ArgumentException($"The head takes {FeatureSize} features, got {features.Length}.", nameof(features));
        var x = new float[FeatureSize];
        TensorPrimitives.Subtract(features, FeatureMean, x);
        TensorPrimitives.Multiply(x, FeatureScale, x);
        for (var i = 0; i < Layers.Count; i++)
        {
            var y = new float[Layers[i].OutputSize];
            Layers[i].Apply(x, y);
            if (i < Layers.Count - 1) TensorPrimitives.Max(y, 0f, y);
            x = y;
        }
        return x;
    }

    /// <summary>Softmax probabilities of one feature vector.</summary>
    public float[] Probabilities(ReadOnlySpan<float> features)
    {
        var logits = Logits(features);
        TensorPrimitives.SoftMax(logits, logits);
        return logits;
    }

    /// <summary>Writes the head (little-endian binary, versioned).</summary>
    public void Write(BinaryWriter writer)
    {
        writer.Write("inceptionnext-head");
        writer.Write(1);
        writer.Write((int)Activation);
        WriteArray(writer, FeatureMean);
        WriteArray(writer, FeatureScale);
        writer.Write(Layers.Count);
        foreach (var layer in Layers)
        {
            writer.Write(layer.InputSize);
            writer.Write(layer.OutputSize);
            WriteArray(writer, layer.Weights);
            WriteArray(writer, layer.Bias);
        }
    }

    /// <summary>Reads a head written by <see cref="Write"/>.</summary>
    /// <exception cref="InvalidDataException">The data is not a head or is damaged.</exception>
    public static ClassifierHead Read(BinaryReader reader)
    {
        try
        {
            if (reader.ReadString() != "inceptionnext-head") throw new InvalidDataException("Not a classifier head.");
            var version = reader.ReadInt32();
            if (version != 1) throw new InvalidDataException($"Classifier head version {version} is newer than this library (1).");
            var activation = (HeadActivation)reader.ReadInt32();
            if (!Enum.IsDefined(activation)) throw new InvalidDataException($"Unknown head activation {(int)activation}.");
            var mean = ReadArray(reader);
            var scale = ReadArray(reader);
            var count = reader.ReadInt32();
            if (count is < 1 or > 64) throw new InvalidDataException($"Classifier head with {count} layers.");
            var layers = new DenseLayer[count];
            for (var i = 0; i < count; i++)
                layers[i] = new DenseLayer(reader.ReadInt32(), reader.ReadInt32(), ReadArray(reader), ReadArray(reader));
            return new ClassifierHead(mean, scale, layers, activation);
        }
        catch (Exception e) when (e is EndOfStreamException or ArgumentException or OverflowException)
        {
            throw new InvalidDataException($"Classifier head is damaged: {e.Message}", e);
        }
    }

    private static void WriteArray(BinaryWriter writer, float[] values)
    {
        writer.Write(values.Length);
        writer.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
    }

    private static float[] ReadArray(BinaryReader reader)
    {
        var length = reader.ReadInt32();
        if (length < 0 || length > 1 << 28) throw new InvalidDataException($"Array of {length} floats.");
        var values = new float[length];
        var bytes = reader.ReadBytes(length * sizeof(float));
        if (bytes.Length != length * sizeof(float)) throw new EndOfStreamException();
        bytes.AsSpan().CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        return values;
    }
}
