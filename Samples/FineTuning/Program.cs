using InceptionNeXt.ML.Inference;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.TorchModels;
using InceptionNeXt.Training.TorchTraining;
using InceptionNeXt.Training.Training;

// Fine-tuning: a checkpoint (official .pth/.safetensors, or a `inceptionnext train` checkpoint) gets a new head for
// the labels of IMAGE_FOLDER (one subfolder per label), its stem and first stages stay frozen, the rest trains; the
// best epoch is exported to one ONNX with labels and preprocessing inside.
//   dotnet run --project Samples/FineTuning -- IMAGE_FOLDER CHECKPOINT MODEL_NAME [EPOCHS] [FREEZE_STAGES] [OUTPUT_DIR]
// e.g. ... -- photos inceptionnext_atto.pth inceptionnext_atto 10 2
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: FineTuning IMAGE_FOLDER CHECKPOINT MODEL_NAME [EPOCHS=10] [FREEZE_STAGES=2] [OUTPUT_DIR]");
    return 2;
}
var output = args.Length > 5 ? args[5] : Path.Combine(Path.GetTempPath(), "inceptionnext-finetune");
var options = new TrainOptions
{
    Data = args[0], Pretrained = args[1], Model = args[2], Output = output,
    Epochs = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 10,
    FreezeStages = args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 2,
    BatchSize = 32, ValidationFraction = 0.2,
};
var result = new TorchTrainer(options).Run();
Console.WriteLine($"validation top-1 {result.Last.Top1:F2}% after {result.Epochs} epochs");

var onnx = Path.Combine(output, "model.onnx");
TorchOnnxExporter.ExportTrainingCheckpoint(Path.Combine(output, "best.pth"), onnx, new OnnxExportOptions { EmbedPreprocessing = true });
using var classifier = new OnnxImageClassifier(onnx);
var image = Directory.EnumerateFiles(args[0], "*", SearchOption.AllDirectories).First(InceptionNeXt.ML.Imaging.ImageFiles.IsImageFile);
var top = classifier.Classify(image).Top;
Console.WriteLine($"wrote {onnx}; {image}: {top.Label} {top.Probability:P1}");
return 0;
