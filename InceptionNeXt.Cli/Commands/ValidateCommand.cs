using System.CommandLine;
using System.Globalization;
using InceptionNeXt.ML.Imaging;
using InceptionNeXt.ML.Inference;
using InceptionNeXt.Training.Data;
using InceptionNeXt.Training.Engine;
using InceptionNeXt.Training.Training;
using InceptionNeXt.Training.TorchTraining;

namespace InceptionNeXt.Cli.Commands;

/// <summary><c>inceptionnext validate</c>: top-1 / top-5 and per-class accuracy of a training checkpoint or an ONNX model.</summary>
internal static class ValidateCommand
{
    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "Training checkpoint (last.pth / best.pth) or exported .onnx", Required = true };
        var data = new Option<string>("--data") { Description = "IDX folder (uses t10k), ImageNet layout (uses val/) or one folder per class", Required = true };
        var batch = new Option<int>("--batch-size", "-b") { Description = "Images per step", DefaultValueFactory = _ => 64 };
        var workers = new Option<int>("--workers", "-j") { Description = "Data-loading threads", DefaultValueFactory = _ => Math.Max(1, Environment.ProcessorCount / 2) };
        var threads = new Option<int>("--threads") { Description = "Compute threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var useEma = new Option<bool>("--use-ema") { Description = "Validate the EMA weights of a training checkpoint" };
        var command = new Command("validate", "Report top-1 / top-5 and per-class accuracy (like timm's validate.py).") { model, data, batch, workers, threads, useEma };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var file = parse.GetValue(model)!;
            if (!file.Exists) throw new FileNotFoundException($"--model {file.FullName} does not exist.");
            var dataset = OpenEvaluationSet(parse.GetValue(data)!);
            var result = file.Extension.Equals(".onnx", StringComparison.OrdinalIgnoreCase)
                ? ValidateOnnx(file.FullName, dataset, parse.GetValue(batch), parse.GetValue(threads))
                : ValidateCheckpoint(file.FullName, dataset, parse.GetValue(batch), parse.GetValue(workers), parse.GetValue(threads), parse.GetValue(useEma));
            var c = CultureInfo.InvariantCulture;
            for (var i = 0; i < dataset.Classes.Count; i++)
                Console.WriteLine(string.Create(c, $"{dataset.Classes[i],-24} {(double.IsNaN(result.PerClass[i]) ? "n/a" : result.PerClass[i].ToString("F2", c)),8}"));
            if (result.Skipped > 0) Console.Error.WriteLine($"{result.Skipped} unreadable image(s) were skipped");
            Console.WriteLine(string.Create(c, $"images: {result.Count}  loss: {result.Loss:F4}"));
            Console.WriteLine(string.Create(c, $"top-1: {result.Top1:F2}  top-5: {result.Top5:F2}"));
            return 0;
        }));
        return command;
    }

    private static IImageDataset OpenEvaluationSet(string path)
    {
        if (IdxDataset.IsIdxFolder(path)) return IdxDataset.OpenFolder(path, "t10k");
        if (ImageFolderDataset.TryOpenImageNetLayout(path) is { } layout) return layout.Val;
        if (Directory.Exists(path)) return new ImageFolderDataset(path);
        throw new DirectoryNotFoundException($"--data {path} does not exist.");
    }

    private static EvaluationResult ValidateCheckpoint(string path, IImageDataset dataset, int batch, int workers, int threads, bool ema)
    {
        TorchEngine.Initialize(TorchEngine.EnsureInitialized() with { Threads = threads });
        var (model, info, size, crop) = TorchTrainingCheckpoint.LoadTrainedModel(path, ema);
        using var _ = model;
        if (info.ClassLabels is { } labels && !labels.SequenceEqual(dataset.Classes))
            throw new InvalidDataException($"{path} was trained on classes [{string.Join(", ", labels)}] but the data has [{string.Join(", ", dataset.Classes)}].");
        return TorchEvaluator.Evaluate(model, dataset, new EvalTransform(new PreprocessOptions { InputSize = size, CropPct = crop }), batch, workers);
    }

    private static EvaluationResult ValidateOnnx(string path, IImageDataset dataset, int batch, int threads)
    {
        using var classifier = new OnnxImageClassifier(path, new InferenceOptions { BatchSize = batch, IntraOpThreads = threads });
        var index = classifier.Labels.Select((label, i) => (label, i)).ToDictionary(p => p.label, p => p.i);
        var missing = dataset.Classes.Where(c => !index.ContainsKey(c)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{path} has no label(s) {string.Join(", ", missing)}; its labels are {string.Join(", ", classifier.Labels)}.");
        var correct = new long[dataset.Classes.Count];
        var total = new long[dataset.Classes.Count];
        long top5 = 0, count = 0, skipped = 0;
        double loss = 0;
        // Streamed: images are decoded a batch at a time as ClassifyMany pulls them; labels follow in the same order.
        var labels = new Queue<int>();
        IEnumerable<ImageInput> Inputs()
        {
            for (var i = 0; i < dataset.Count; i++)
            {
                RgbImage image;
                try { image = dataset.Load(i); }
                catch (Exception e) when (e is IOException or InvalidDataException) { skipped++; continue; }
                labels.Enqueue(dataset.GetLabel(i));
                yield return ImageInput.FromImage(image, dataset.GetName(i));
            }
        }
        foreach (var result in classifier.ClassifyMany(Inputs(), classifier.Labels.Count))
        {
            var label = labels.Dequeue();
            if (!result.Succeeded) { skipped++; continue; }
            var target = index[dataset.Classes[label]];
            total[label]++;
            count++;
            if (result.Predictions[0].Index == target) correct[label]++;
            if (result.Predictions.Take(5).Any(p => p.Index == target)) top5++;
            loss -= Math.Log(Math.Max(1e-12, result.Predictions.First(p => p.Index == target).Probability));
        }
        if (count == 0) throw new InvalidDataException("No readable images to validate.");
        return new EvaluationResult(100.0 * correct.Sum() / count, 100.0 * top5 / count, loss / count, (int)count,
            correct.Select((c, i) => total[i] == 0 ? double.NaN : 100.0 * c / total[i]).ToArray(), skipped);
    }
}
