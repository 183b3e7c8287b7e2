using InceptionNeXt.ML.OnnxFormat;
using InceptionNeXt.ML.Pipelines;
using InceptionNeXt.ML.Pipelines.Trainers;
using InceptionNeXt.ML.Pipelines.Transforms;
using InceptionNeXt.ML.Trainers;

// Transfer learning from a folder with one subfolder per label:
//   dotnet run --project Samples/TransferLearning -- IMAGE_FOLDER [BACKBONE.onnx] [OUTPUT_DIR]
// The backbone is any `inceptionnext export` model (e.g. official ImageNet weights:
//   inceptionnext export --model inceptionnext_tiny --weights inceptionnext_tiny.pth --embed-preprocessing --output tiny.onnx);
// by default the bundled Fashion-MNIST model and the QuickStart images.
var root = FindRepositoryRoot();
var folder = args.Length > 0 ? args[0] : Path.Combine(root, "Samples", "QuickStart", "images");
var backbone = args.Length > 1 ? args[1] : Path.Combine(root, "Models", "inceptionnext_atto_fashion_mnist.onnx");
var output = args.Length > 2 ? args[2] : Path.Combine(Path.GetTempPath(), "inceptionnext-transfer");
Directory.CreateDirectory(output);

var ctx = new InceptionNeXtContext(seed: 1);
var split = ctx.Data.TrainTestSplit(ctx.Data.LoadFromImageFolder(folder), testFraction: 0.3, stratificationColumnName: "Label");

// Features are cached on disk: running the sample again trains the head without running the backbone.
var featurizer = ctx.Transforms.FeaturizeImages(backbone, "Features", "Image", new ImageFeaturizerOptions
{
    CacheDirectory = Path.Combine(output, "feature-cache"),
    UnreadableImages = UnreadableImagePolicy.Skip,
    OnSkipped = s => Console.Error.WriteLine($"skipped {s.Source}: {s.Reason}"),
});
var mlp = new MlpHeadTrainer
{
    HiddenSize = 128, Epochs = 200, EarlyStoppingPatience = 15, Seed = 1,
    OnEpoch = e => { if (e.Epoch % 10 == 0) Console.WriteLine($"  epoch {e.Epoch,3}: loss {e.Loss:F4} acc {e.Accuracy:P1} val loss {e.ValidationLoss:F4} val acc {e.ValidationAccuracy:P1} lr {e.LearningRate:E1}"); },
};
var pipeline = ctx.Transforms.Conversion.MapValueToKey("Label")
    .Append(ctx.Transforms.LoadImages("Image", null, "ImagePath"))
    .Append(featurizer)
    .Append(ctx.MulticlassClassification.Trainers.MlpHead("Label", "Features", mlp));

// The test split doubles as the early-stopping set here; hold out a third split when you report numbers.
using var model = pipeline.Fit(split.TrainSet, split.TestSet);
var metrics = ctx.MulticlassClassification.Evaluate(model.Transform(split.TestSet));
Console.WriteLine(metrics.ToText());

var zip = Path.Combine(output, "model.zip");
ctx.Model.Save(model, split.TrainSet.Schema, zip);
var head = model.LastTransformer;
var onnx = Path.Combine(output, "model.onnx");
File.WriteAllBytes(onnx, OnnxHeadGrafting.Graft(File.ReadAllBytes(backbone), head.Head, head.Labels, "transfer-sample"));
Console.WriteLine($"wrote {zip} and {onnx} (backbone + head in one ONNX, labels inside)");
return 0;

static string FindRepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        if (File.Exists(Path.Combine(dir.FullName, "Solution.sln"))) return dir.FullName;
    return Directory.GetCurrentDirectory();
}
