using System.Diagnostics;
using System.Globalization;
using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

// QuickStart: (1) the bundled Fashion-MNIST model classifies the sample images; (2) an ML.NET pipeline uses the same
// model as a featurizer, trains a maximum-entropy (multinomial logistic regression) head on half of the images,
// evaluates it on the other half, saves one model.zip, loads it back and predicts with it. Arguments: [MODEL.onnx] [IMAGE_FOLDER].
var modelPath = args.Length > 0 ? args[0] : Path.Combine(FindRepositoryRoot(), "Models", "inceptionnext_atto_fashion_mnist.onnx");
var images = args.Length > 1 ? args[1] : Path.Combine(FindRepositoryRoot(), "Samples", "QuickStart", "images");

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

// 2. The same model as the featurizer of an ML.NET pipeline: images -> features -> a new head -> labels.
var ml = new MLContext(seed: 1);
var data = ml.Data.LoadFromImageFolder(images);
// ML.NET's split is random, not stratified: with a seed it is the same split every run.
var split = ml.Data.TrainTestSplit(data, testFraction: 0.5, seed: 1);
var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", modelPath))
    // L-BFGS reads the data many times: cache the features so the model runs once per image.
    .AppendCacheCheckpoint(ml)
    .Append(ml.Transforms.NormalizeMeanVariance("Features"))
    .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
var model = pipeline.Fit(split.TrainSet);
var metrics = ml.MulticlassClassification.Evaluate(model.Transform(split.TestSet));
Console.WriteLine();
Console.WriteLine($"pipeline: head trained on {Count(split.TrainSet)} images, evaluated on {Count(split.TestSet)}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"accuracy: {metrics.MicroAccuracy:P1} (macro {metrics.MacroAccuracy:P1}), log-loss {metrics.LogLoss:F4}"));
Console.WriteLine(metrics.ConfusionMatrix.GetFormattedConfusionTable());

var zip = Path.Combine(Path.GetTempPath(), "inceptionnext-quickstart-model.zip");
ml.Model.Save(model, data.Schema, zip);
var loaded = ml.Model.Load(zip, out _);
var engine = ml.Model.CreatePredictionEngine<ImageFolderRow, ImagePrediction>(loaded);
var sample = split.TestSet.GetColumn<string>("ImagePath").First();
var prediction = engine.Predict(new ImageFolderRow { ImagePath = sample });
Console.WriteLine($"saved {zip} ({new FileInfo(zip).Length / 1024} KiB); reloaded, it says {Path.GetRelativePath(images, sample)} is {prediction.PredictedLabel}");
return 0;

static long Count(IDataView data) => data.GetRowCount() ?? data.GetColumn<string>("ImagePath").LongCount();

static string Safe(string label) => label.Replace('/', '_');

static string FindRepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Solution.sln"))) return dir.FullName;
    throw new DirectoryNotFoundException("Run QuickStart from the repository (or pass MODEL.onnx and IMAGE_FOLDER).");
}

/// <summary>Prediction output.</summary>
internal sealed class ImagePrediction
{
    public string PredictedLabel { get; set; } = "";
    public float[] Score { get; set; } = [];
}
