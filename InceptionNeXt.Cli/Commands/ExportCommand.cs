using System.CommandLine;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;

namespace InceptionNeXt.Cli.Commands;

/// <summary><c>inceptionnext export</c>: a zoo model (optionally with checkpoint weights) to ONNX.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model name from `inceptionnext models`", Required = true };
        var weights = new Option<FileInfo?>("--weights") { Description = "Checkpoint (.safetensors or .pth); fresh weights when omitted" };
        var classes = new Option<int?>("--num-classes") { Description = "Classifier outputs (default: from the weights, else 1000)" };
        var size = new Option<int?>("--image-size") { Description = "Square input side (default: the variant's)" };
        var embed = new Option<bool>("--embed-preprocessing") { Description = "Input is RGB 0..255; /255 and mean/std run inside the graph" };
        var preLogits = new Option<bool>("--pre-logits") { Description = "Also output pre_logits (after the head norm)" };
        var labels = new Option<FileInfo?>("--labels") { Description = "Text file with one class label per line, stored in the metadata" };
        var mixerForm = new Option<MixerOnnxForm>("--mixer-form")
        {
            Description = "InceptionNeXt token mixer: Fused (summed full-width depthwise convs, faster on ONNX Runtime CPU) or Split (the literal graph)",
            DefaultValueFactory = _ => MixerOnnxForm.Fused,
        };
        var output = new Option<FileInfo>("--output", "-o") { Description = "Where to write the .onnx file", Required = true };
        var command = new Command("export", "Export a model to ONNX (opset 17, dynamic batch, BatchNorm folded).")
        {
            model, weights, classes, size, embed, preLogits, labels, mixerForm, output,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var weightsFile = parse.GetValue(weights);
            if (weightsFile is { Exists: false }) throw new FileNotFoundException($"--weights {weightsFile.FullName} does not exist.");
            var labelsFile = parse.GetValue(labels);
            if (labelsFile is { Exists: false }) throw new FileNotFoundException($"--labels {labelsFile.FullName} does not exist.");
            var labelList = labelsFile is null
                ? null
                : File.ReadAllLines(labelsFile.FullName).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
            var outputFile = parse.GetValue(output)!;
            TorchOnnxExporter.Export(parse.GetValue(model)!, weightsFile?.FullName, outputFile.FullName, new OnnxExportOptions
            {
                ImageSize = parse.GetValue(size),
                EmbedPreprocessing = parse.GetValue(embed),
                IncludePreLogits = parse.GetValue(preLogits),
                Labels = labelList,
                MixerForm = parse.GetValue(mixerForm),
            }, parse.GetValue(classes));
            Console.WriteLine($"wrote {outputFile.FullName} ({new FileInfo(outputFile.FullName).Length / 1e6:F1} MB)");
            return 0;
        }));
        return command;
    }
}
