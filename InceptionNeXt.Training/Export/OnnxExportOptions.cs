using System.Globalization;
using System.Text.Json;
using InceptionNeXt.ML.IO;
using InceptionNeXt.ML.OnnxFormat;
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.Models;

namespace InceptionNeXt.Training.Export;

/// <summary>How to export a model to ONNX.</summary>
public sealed record OnnxExportOptions
{
    /// <summary>Default-domain opset (17 or newer).</summary>
    public int Opset { get; init; } = 17;

    /// <summary>Square input side; the variant's default input size when null.</summary>
    public int? ImageSize { get; init; }

    /// <summary>
    /// Put /255 and per-channel mean/std inside the graph: the input is then float32 RGB NCHW pixels in 0..255
    /// (what ML.NET's ExtractPixels produces), otherwise already-normalised pixels.
    /// </summary>
    public bool EmbedPreprocessing { get; init; }

    /// <summary>Also output <c>pre_logits</c> (the head's features after its norm).</summary>
    public bool IncludePreLogits { get; init; }

    /// <summary>Class labels stored in the metadata (one per classifier output).</summary>
    public IReadOnlyList<string>? Labels { get; init; }

    /// <summary>The <c>model_name</c> stored in the metadata; the model's registry name when null.</summary>
    public string? ModelName { get; init; }

    /// <summary>
    /// How InceptionNeXt's token mixer is written: <see cref="MixerOnnxForm.Fused"/> (default; faster on ONNX Runtime's
    /// CPU provider, same outputs) or the literal <see cref="MixerOnnxForm.Split"/> graph.
    /// </summary>
    public MixerOnnxForm MixerForm { get; init; } = MixerOnnxForm.Fused;

    /// <summary>Evaluation preprocessing stored in the metadata (and embedded on request); the variant's own when null.</summary>
    public PreprocessingConfig? Preprocessing { get; init; }
}
