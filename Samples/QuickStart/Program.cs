using System.Diagnostics;
using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.Pipelines;
using InceptionNeXt.ML.Pipelines.Transforms;

// QuickStart: (1) the bundled Fashion-MNIST model classifies the sample images; (2) an ML.NET-style pipeline uses the
// same model as a featurizer, trains a logistic-regression head on half of the images, evaluates it on the other
// half, saves one model.zip and predicts with it. Arguments: [MODEL.onnx] [IMAGE_FOLDER].
var root = FindRepositoryRoot();
var modelPath = args.Length > 0 ? args[0] : Path.Combine(root, "Models", "inceptionnext_atto_fashion_mnist.onnx");
var images = args.Length > 1 ? args[1] : Path.Combine(root, "Samples", "QuickStart", "images");

// 1. Classify every image with the model as it is.
using (var classifier = new OnnxImageClassifier(modelPath))
{
    Console.WriteLine($"model: {Path.GetFileName(modelPath)} ({classifier.Info.InputSize} px input, {classifier.Labels.Count} labels: {string.Join(", ", classifier.Labels)})");
    var files = Directory.GetDirectories(images).Order(StringComparer.Ordinal)
        .SelectMany(d => Directory.GetFiles(d).Order(StringComparer.Ordinal)).ToArray();
    var timer = Stopwatch.StartNew();
    var results = classifier.ClassifyMany(files.Select(ImageInput.FromFile), topK: 1).ToArray();
    var correct = 0;
    foreach (var r in results)
    {
        var truth = Path.GetFileName(Path.GetDirectoryName(r.Source)!);
        if (!r.Succeeded) { Console.WriteLine($"{r.Source}: {r.Error!.Message}"); continue; }
        if (Safe(r.Top.Label) == truth) correct++;
    }
    foreach (var r in results.Where((_, i) => i % 20 == 0))
        Console.WriteLine($"  {Path.GetRelativePath(images, r.Source),-32} {r.Top.Label,-12} {r.Top.Probability:P1}");
    Console.WriteLine($"classified {results.Length} images in {timer.Elapsed.TotalMilliseconds:F0} ms: {correct} correct ({100.0 * correct / results.Length:F1}%)");
}

// 2. The same model as the featurizer of a pipeline: images -> features -> a new head -> labels.
var ctx = new InceptionNeXtContext(seed: 1);
var data = ctx.Data.LoadFromImageFolder(images);
var split = ctx.Data.TrainTestSplit(data, testFraction: 0.5, stratificationColumnName: "Label");
var pipeline = ctx.Transforms.Conversion.MapValueToKey("Label")
    .Append(ctx.Transforms.LoadImages("Image", imageFolder: null, "ImagePath"))
    .Append(ctx.Transforms.FeaturizeImages(modelPath, "Features", "Image"))
    .Append(ctx.MulticlassClassification.Trainers.LbfgsLogisticRegression("Label", "Features"))
    .Append(ctx.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
using var model = pipeline.Fit(split.TrainSet);
var metrics = ctx.MulticlassClassification.Evaluate(model.Transform(split.TestSet));
Console.WriteLine();
Console.WriteLine($"pipeline: head trained on {split.TrainSet.RowCount} images, evaluated on {split.TestSet.RowCount}");
Console.WriteLine(metrics.ToText());

var zip = Path.Combine(Path.GetTempPath(), "inceptionnext-quickstart-model.zip");
ctx.Model.Save(model, data.Schema, zip);
using var loaded = ctx.Model.Load(zip, out _);
var engine = ctx.Model.CreatePredictionEngine<ImageRow, ImagePrediction>(loaded);
var sample = split.TestSet.GetColumn<string>("ImagePath")[0];
var prediction = engine.Predict(new ImageRow { ImagePath = sample });
Console.WriteLine($"saved {zip} ({new FileInfo(zip).Length / 1024} KiB); reloaded, it says {Path.GetRelativePath(images, sample)} is {prediction.PredictedLabel}");
return 0;

static string Safe(string label) => label.Replace('/', '_');

static string FindRepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Solution.sln"))) return dir.FullName;
    throw new DirectoryNotFoundException("Run QuickStart from the repository (or pass MODEL.onnx and IMAGE_FOLDER).");
}

/// <summary>Prediction input: an image path (Label is only read by the training-time key mapping).</summary>
internal sealed class ImageRow
{
    public string ImagePath { get; set; } = "";
    public string Label { get; set; } = "";
}

/// <summary>Prediction output.</summary>
internal sealed class ImagePrediction
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}
