using System.Globalization;
using System.Text.Json;
using InceptionNeXt.ML.Imaging;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace InceptionNeXt.ML.Inference;

/// <summary>
/// What an exported image model says about itself: input name and size, labels and the preprocessing it expects
/// (from the metadata the exporter writes; ImageNet defaults where a foreign model has none).
/// </summary>
public sealed class OnnxModelInfo
{
    private OnnxModelInfo(string inputName, int inputSize, int channels, IReadOnlyList<string> labels, PreprocessOptions preprocessing,
        string? modelName, bool hasLogits, bool hasFeatures, int featureSize)
    {
        InputName = inputName;
        InputSize = inputSize;
        Channels = channels;
        Labels = labels;
        Preprocessing = preprocessing;
        ModelName = modelName;
        HasLogits = hasLogits;
        HasFeatures = hasFeatures;
        FeatureSize = featureSize;
    }

    /// <summary>Name of the image input.</summary>
    public string InputName { get; }
    /// <summary>Square input side in pixels.</summary>
    public int InputSize { get; }
    /// <summary>Input channels (3 for RGB).</summary>
    public int Channels { get; }
    /// <summary>One label per class (<c>class_N</c> when the model stores none).</summary>
    public IReadOnlyList<string> Labels { get; }
    /// <summary>The transform that turns a decoded image into the model's input.</summary>
    public PreprocessOptions Preprocessing { get; }
    /// <summary>Architecture name from the metadata, if any.</summary>
    public string? ModelName { get; }
    /// <summary>Whether the model has a <c>logits</c> output.</summary>
    public bool HasLogits { get; }
    /// <summary>Whether the model has a <c>features</c> output.</summary>
    public bool HasFeatures { get; }
    /// <summary>Length of the <c>features</c> vector (0 without one).</summary>
    public int FeatureSize { get; }

    /// <summary>Reads and checks the model's interface; errors name the model and what does not fit.</summary>
    /// <exception cref="InvalidDataException">The model is not a single-input NCHW image model.</exception>
    public static OnnxModelInfo FromSession(InferenceSession session, string modelName)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.InputMetadata.Count != 1)
            throw new InvalidDataException($"{modelName}: expected one image input, found {session.InputMetadata.Count} ({string.Join(", ", session.InputMetadata.Keys)}).");
        var (inputName, input) = session.InputMetadata.First();
        if (!input.IsTensor || input.ElementDataType != TensorElementType.Float || input.Dimensions.Length != 4)
            throw new InvalidDataException($"{modelName}: input '{inputName}' must be float32 NCHW, found {Describe(input)}.");
        var (c, h, w) = (input.Dimensions[1], input.Dimensions[2], input.Dimensions[3]);
        var meta = session.ModelMetadata.CustomMetadataMap;
        var metaSize = meta.TryGetValue("input_size", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : (int?)null;
        if (h != w && h > 0 && w > 0)
            throw new InvalidDataException($"{modelName}: only square inputs are supported, found {Describe(input)}.");
        var size = h > 0 ? h : metaSize ?? 224;
        if (c is not (3 or -1))
            throw new InvalidDataException($"{modelName}: input '{inputName}' has {c} channels; RGB (3) is required.");

        var outputs = session.OutputMetadata;
        var hasLogits = outputs.TryGetValue("logits", out var logits);
        var hasFeatures = outputs.TryGetValue("features", out var features);
        if (!hasLogits && !hasFeatures && outputs.Count == 1)
        {
            // A foreign single-output classifier: treat its output as logits.
            logits = outputs.Values.First();
            hasLogits = true;
        }
        var classes = hasLogits && logits!.Dimensions.Length == 2 ? Math.Max(logits.Dimensions[1], 0) : 0;
        string[] labels = meta.TryGetValue("labels", out var labelJson)
            ? JsonSerializer.Deserialize<string[]>(labelJson) ?? []
            : Enumerable.Range(0, classes).Select(i => $"class_{i}").ToArray();
        if (classes > 0 && labels.Length != classes)
            throw new InvalidDataException($"{modelName}: metadata has {labels.Length} labels for {classes} classes.");

        var options = new PreprocessOptions
        {
            InputSize = size,
            CropPct = meta.TryGetValue("crop_pct", out var crop) ? double.Parse(crop, CultureInfo.InvariantCulture) : 0.875,
            Interpolation = meta.TryGetValue("interpolation", out var interp) && interp == "bilinear" ? ResamplingFilter.Bilinear : ResamplingFilter.Bicubic,
            Mean = meta.TryGetValue("mean", out var mean) ? JsonSerializer.Deserialize<float[]>(mean)! : PreprocessOptions.ImageNetMean,
            Std = meta.TryGetValue("std", out var std) ? JsonSerializer.Deserialize<float[]>(std)! : PreprocessOptions.ImageNetStd,
            Normalize = !(meta.TryGetValue("input_format", out var format) && format == "rgb_0_255_nchw"),
        };
        options.Validate();
        return new OnnxModelInfo(inputName, size, 3, labels, options, meta.GetValueOrDefault("model_name"), hasLogits, hasFeatures,
            hasFeatures && features!.Dimensions.Length == 2 ? Math.Max(features.Dimensions[1], 0) : 0);
    }

    private static string Describe(NodeMetadata node) => node.IsTensor
        ? $"{node.ElementDataType} [{string.Join(", ", node.Dimensions.Select((d, i) => d >= 0 ? d.ToString(CultureInfo.InvariantCulture) : node.SymbolicDimensions is { } names && i < names.Length && names[i].Length > 0 ? names[i] : "?"))}]"
        : node.OnnxValueType.ToString();
}
