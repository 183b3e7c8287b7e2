using System.Globalization;
using InceptionNeXt.ML.MLNet;
using InceptionNeXt.ML.OnnxFormat;
using Microsoft.ML;
using Microsoft.ML.Data;

// Transfer learning from a folder with one subfolder per label, on ML.NET:
//   dotnet run --project Samples/TransferLearning -- IMAGE_FOLDER [BACKBONE.onnx] [OUTPUT_DIR]
// The backbone is any `inceptionnext export` model (e.g. official ImageNet weights:
//   inceptionnext export --model inceptionnext_tiny --weights inceptionnext_tiny.pth --embed-preprocessing --output tiny.onnx);
// by default the bundled Fashion-MNIST model and the QuickStart images.
var root = FindRepositoryRoot();
var folder = args.Length > 0 ? args[0] : Path.Combine(root, "Samples", "QuickStart", "images");
var backbone = args.Length > 1 ? args[1] : Path.Combine(root, "Models", "inceptionnext_atto_fashion_mnist.onnx");
var output = args.Length > 2 ? args[2] : Path.Combine(Path.GetTempPath(), "inceptionnext-transfer");
Directory.CreateDirectory(output);

var ml = new MLContext(seed: 1);
var data = ml.Data.LoadFromImageFolder(folder);
var split = ml.Data.TrainTestSplit(data, testFraction: 0.3, seed: 1);

// The featurizer learns nothing: fitting it only loads the backbone. Unreadable images get missing features (and a
// reason in "Error"), which the trainer skips and the listing below reports. Its cache keeps each image's features on
// disk: running the sample again trains the head without running the backbone.
var cache = Path.Combine(output, "feature-cache");
using var featurizer = ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", backbone,
    new() { OnUnreadableImage = UnreadableImagePolicy.Skip, ErrorColumnName = "Error", CacheDirectory = cache }).Fit(split.TrainSet);
string[] columns = ["ImagePath", "Label", "Features", "Error"];
var train = ml.Data.Cache(featurizer.Transform(split.TrainSet), columns);
var test = ml.Data.Cache(featurizer.Transform(split.TestSet), columns);
var rows = train.GetColumn<string>("ImagePath").Count() + test.GetColumn<string>("ImagePath").Count();
Console.WriteLine($"features: {featurizer.CacheHits} of {rows} images from the cache ({cache})");
foreach (var (path, error) in train.GetColumn<string>("ImagePath").Zip(train.GetColumn<string>("Error")).Where(r => r.Second.Length > 0))
    Console.Error.WriteLine($"skipped {path}: {error}");

// The head: standardised features -> multinomial logistic regression (an MLP head is not an ML.NET trainer).
var headPipeline = ml.Transforms.Conversion.MapValueToKey("Label")
    .Append(ml.Transforms.NormalizeMeanVariance("Features"))
    .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(l2Regularization: 1e-3f))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
var head = headPipeline.Fit(train);
var metrics = ml.MulticlassClassification.Evaluate(head.Transform(test));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"test: accuracy {metrics.MicroAccuracy:P1} (macro {metrics.MacroAccuracy:P1}), log-loss {metrics.LogLoss:F4}"));
Console.WriteLine(metrics.ConfusionMatrix.GetFormattedConfusionTable());

// model.zip: image path in, label out (the featurizer carries the backbone inside the zip).
var model = featurizer.Append(head);
var zip = Path.Combine(output, "model.zip");
ml.Model.Save(model, data.Schema, zip);
// model.onnx: the same head appended to the backbone, labels inside; it classifies without ML.NET.
var (classifierHead, labels) = MLNetClassifierHead.Extract(model, data.Schema);
var onnx = Path.Combine(output, "model.onnx");
File.WriteAllBytes(onnx, OnnxHeadGrafting.Graft(File.ReadAllBytes(backbone), classifierHead, labels, "transfer-sample"));
Console.WriteLine($"wrote {zip} and {onnx} (backbone + head in one ONNX, labels inside)");
return 0;

static string FindRepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Solution.sln"))) return dir.FullName;
    return Directory.GetCurrentDirectory();
}
