using System.Globalization;
using System.Text.Json;
using InceptionNeXt.ML.IO;
using InceptionNeXt.ML.OnnxFormat;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.Models;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// Writes the zoo's TorchSharp models as ONNX (opset 17, dynamic batch) through <see cref="TorchOnnxGraphWriter"/>:
/// outputs <c>logits</c>, <c>features</c> and optionally <c>pre_logits</c>, with the preprocessing, config and labels in
/// the metadata, exactly as the ONNX Runtime side (InceptionNeXt.ML) reads them.
/// </summary>
public static class TorchOnnxExporter
{
    /// <summary>Name of the graph input.</summary>
    public const string InputName = "input";

    /// <summary>Serialises <paramref name="model"/> (its current weights, eval semantics) to ONNX bytes.</summary>
    public static byte[] Export(ImageClassifier model, OnnxExportOptions? options = null)
    {
        options ??= new OnnxExportOptions();
        var config = model.Config;
        var pre = options.Preprocessing ?? config.Preprocessing;
        var size = options.ImageSize ?? pre.InputSize;
        if (size < config.MinInputSize)
            throw new ArgumentException($"--image-size {size} is below the {config.MinInputSize} px that {config.Name} needs.");
        if (options.Labels is { } labels && labels.Count != config.NumClasses)
            throw new ArgumentException($"{labels.Count} labels were given for a model with {config.NumClasses} classes.");
        if (pre.Mean.Length != config.InChannels || pre.Std.Length != config.InChannels)
            throw new ArgumentException($"mean/std need {config.InChannels} values, one per input channel.");

        var graph = new OnnxGraph(options.Opset);
        var x = graph.AddInput(InputName, "batch", config.InChannels, size, size);
        if (options.EmbedPreprocessing) x = EmbedNormalisation(graph, x, pre);
        var (features, preLogits, logits) = new TorchOnnxGraphWriter(graph, options.MixerForm).Classifier(model, x, size);
        if (config.NumClasses > 0) graph.AddOutput("logits", logits, "batch", config.NumClasses);
        graph.AddOutput("features", features, "batch", model.NumFeatures);
        if (options.IncludePreLogits) graph.AddOutput("pre_logits", preLogits, "batch", model.PreLogitsSize);

        var metadata = new Dictionary<string, string>
        {
            ["model_name"] = options.ModelName ?? config.Name,
            ["model_config"] = config.ToJson(),
            ["num_classes"] = Invariant(config.NumClasses),
            ["input_size"] = Invariant(size),
            ["mean"] = JsonSerializer.Serialize(pre.Mean),
            ["std"] = JsonSerializer.Serialize(pre.Std),
            ["crop_pct"] = Invariant(pre.CropPct),
            ["interpolation"] = pre.Interpolation,
            ["input_format"] = options.EmbedPreprocessing ? "rgb_0_255_nchw" : "normalized_nchw",
        };
        if (options.Labels is not null) metadata["labels"] = JsonSerializer.Serialize(options.Labels);
        var version = typeof(TorchOnnxExporter).Assembly.GetName().Version?.ToString() ?? "0";
        return graph.ToModelBytes(metadata, version, $"{config.Name} exported by InceptionNeXt.NET");
    }

    /// <summary>Exports to a file (written atomically: a failure never leaves a partial file).</summary>
    public static void Export(ImageClassifier model, string path, OnnxExportOptions? options = null)
    {
        var bytes = Export(model, options);
        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    /// <summary>
    /// Exports a zoo variant, with the weights of a checkpoint when <paramref name="weightsPath"/> is given (class count
    /// taken from it unless <paramref name="numClasses"/> is set; a training checkpoint brings its labels and input
    /// size too) or freshly initialised otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">A training checkpoint of another architecture than <paramref name="modelName"/>.</exception>
    public static void Export(string modelName, string? weightsPath, string outputPath, OnnxExportOptions? options = null,
        int? numClasses = null)
    {
        if (weightsPath is not null && IsTrainingCheckpoint(weightsPath))
        {
            // The checkpoint's architecture decides; a different --model is a mistake to report, not to ignore.
            if (TorchTraining.TorchTrainingCheckpoint.ReadInfo(weightsPath).Args.GetValueOrDefault("model") is string saved &&
                !string.Equals(saved, modelName, StringComparison.OrdinalIgnoreCase))
                throw new ArgumentException($"--weights {weightsPath} is a checkpoint of {saved}, not of --model {modelName}; export it with --model {saved}.");
            ExportTrainingCheckpoint(weightsPath, outputPath, options, fallbackModelName: modelName);
            return;
        }
        using var model = weightsPath is null
            ? TorchModelRegistry.Create(modelName, c => c with { NumClasses = numClasses ?? c.NumClasses })
            : PretrainedWeights.Create(modelName, weightsPath, numClasses);
        Export(model, outputPath, options);
    }

    /// <summary>
    /// Exports a checkpoint written by <c>inceptionnext train</c>: the architecture, class labels, input size and crop
    /// come from the checkpoint unless <paramref name="options"/> overrides them.
    /// </summary>
    /// <param name="checkpointPath">The training checkpoint.</param>
    /// <param name="outputPath">The .onnx file to write.</param>
    /// <param name="options">Overrides of what the checkpoint says.</param>
    /// <param name="useEma">Export the EMA weights.</param>
    /// <param name="fallbackModelName">The <c>model_name</c> for older checkpoints that do not record their registry name.</param>
    public static void ExportTrainingCheckpoint(string checkpointPath, string outputPath, OnnxExportOptions? options = null, bool useEma = false,
        string? fallbackModelName = null)
    {
        var (model, info, size, crop) = TorchTraining.TorchTrainingCheckpoint.LoadTrainedModel(checkpointPath, useEma);
        using (model)
        {
            options ??= new OnnxExportOptions();
            Export(model, outputPath, options with
            {
                ImageSize = options.ImageSize ?? size,
                ModelName = options.ModelName ?? (model.Config.Name.Length > 0 ? null : fallbackModelName),
                Labels = options.Labels ?? info.ClassLabels,
                Preprocessing = options.Preprocessing ?? model.Config.Preprocessing with { InputSize = options.ImageSize ?? size, CropPct = crop },
            });
        }
    }

    private static bool IsTrainingCheckpoint(string path)
    {
        if (Checkpoints.Checkpoint.DetectFormat(path) != Checkpoints.Checkpoint.Format.PyTorchZip) return false;
        try
        {
            TorchTraining.TorchTrainingCheckpoint.ReadInfo(path);
            return true;
        }
        catch (InvalidDataException)
        {
            return false;
        }
    }

    // (x / 255 - mean) / std == x * (1 / (255 std)) + (-mean / std), per channel.
    private static string EmbedNormalisation(OnnxGraph graph, string input, PreprocessingConfig pre)
    {
        var channels = pre.Mean.Length;
        var scale = new float[channels];
        var shift = new float[channels];
        for (var c = 0; c < channels; c++)
        {
            scale[c] = 1f / (255f * pre.Std[c]);
            shift[c] = -pre.Mean[c] / pre.Std[c];
        }
        var scaled = graph.AddNode("Mul", [input, graph.AddInitializer("pixel_scale", scale, channels, 1, 1)], "pixels_scaled");
        return graph.AddNode("Add", [scaled, graph.AddInitializer("pixel_shift", shift, channels, 1, 1)], "pixels_normalized");
    }

    private static string Invariant(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);
}
