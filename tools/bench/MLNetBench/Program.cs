// Times three ways of turning a folder of images into InceptionNeXt features with the same .onnx file (one that takes
// 0-255 RGB, as `inceptionnext export --embed-preprocessing` writes), in rotating rounds in one process:
//   chain:      LoadImages -> ResizeImages -> ExtractPixels -> ApplyOnnxModel (ML.NET's recipe; one ONNX Runtime call per row)
//   featurizer: FeaturizeImagesWithInceptionNeXt in an ML.NET pipeline (batched, timm's resize-then-crop), images from disk
//   raw:        a bare InferenceSession run in batches on tensors preprocessed before timing (no decoding, no ML.NET)
// All three use THREADS intra-op threads. Each round reads every row's features. Prints per-round img/s and the median
// ratios featurizer / chain and featurizer / raw with their ranges. REPEAT (default 1) lists every image that many times,
// so that a round of a small model lasts long enough to time.
// Usage: MLNetBench MODEL.onnx IMAGE_DIR ROUNDS THREADS [BATCH] [REPEAT]
using System.Diagnostics;
using System.Globalization;
using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Transforms.Image;
using Microsoft.ML.Transforms.Onnx;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: MLNetBench MODEL.onnx IMAGE_DIR ROUNDS THREADS [BATCH] [REPEAT]");
    return 2;
}

var (model, folder) = (args[0], args[1]);
var (rounds, threads) = (int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture));
var batch = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 16;
var repeat = args.Length > 5 ? int.Parse(args[5], CultureInfo.InvariantCulture) : 1;
var ml = new MLContext(seed: 1);
var files = Directory.GetFiles(folder, "*.*", SearchOption.AllDirectories)
    .Where(p => p.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || p.EndsWith(".png", StringComparison.OrdinalIgnoreCase))
    .Order(StringComparer.Ordinal).ToArray();
files = Enumerable.Repeat(files, repeat).SelectMany(f => f).ToArray();
var data = ml.Data.LoadFromEnumerable(files.Select(p => new Row { ImagePath = p }));

// The featurizer first: it sets up ONNX Runtime's environment (telemetry off) before ApplyOnnxModel touches the library.
var featurizer = ml.Transforms.FeaturizeImagesWithInceptionNeXt("features", "ImagePath", model,
    new InceptionNeXtFeaturizerOptions { BatchSize = batch, IntraOpThreads = threads }).Fit(data);
var info = featurizer.Model.Info;
if (info.Preprocessing.Normalize)
{
    Console.Error.WriteLine($"{model}: the model takes normalised input; export it with --embed-preprocessing so ML.NET's chain can feed it 0-255 pixels.");
    return 2;
}
var size = info.InputSize;

var chain = ml.Transforms.LoadImages("Image", imageFolder: "", "ImagePath")
    .Append(ml.Transforms.ResizeImages("Image", size, size, cropAnchor: ImageResizingEstimator.Anchor.Center))
    .Append(ml.Transforms.ExtractPixels("input", "Image", interleavePixelColors: false, scaleImage: 1f))
    .Append(ml.Transforms.ApplyOnnxModel(new OnnxOptions
    {
        ModelFile = model, InputColumns = ["input"], OutputColumns = ["features"],
        ShapeDictionary = new Dictionary<string, int[]> { ["input"] = [1, 3, size, size] }, IntraOpNumThreads = threads, InterOpNumThreads = 1,
    }))
    .Fit(data);

// Raw: the same preprocessing as the featurizer's, done once, then only session runs are timed.
var length = 3 * size * size;
var tensors = new float[files.Length * length];
for (var i = 0; i < files.Length; i++) featurizer.Model.Preprocessor.Preprocess(files[i], tensors.AsSpan(i * length, length));
using var sessionOptions = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", "1");
using var session = new InferenceSession(model, sessionOptions);
using var runOptions = new RunOptions();

double Raw()
{
    var clock = Stopwatch.StartNew();
    for (var start = 0; start < files.Length; start += batch)
    {
        var n = Math.Min(batch, files.Length - start);
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, tensors.AsMemory(start * length, n * length), [n, 3, size, size]);
        using var outputs = session.Run(runOptions, [info.InputName], [input], ["features"]);
        _ = outputs[0].GetTensorDataAsSpan<float>()[0];
    }
    return files.Length / clock.Elapsed.TotalSeconds;
}

double Pipeline(ITransformer transformer)
{
    var view = transformer.Transform(data);
    var column = view.Schema["features"];
    var clock = Stopwatch.StartNew();
    var n = 0;
    using (var cursor = view.GetRowCursor([column]))
    {
        var getter = cursor.GetGetter<VBuffer<float>>(column);
        var value = default(VBuffer<float>);
        while (cursor.MoveNext())
        {
            getter(ref value);
            n++;
        }
    }
    return n / clock.Elapsed.TotalSeconds;
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(model)}: {size} px, {files.Length} images, batch {batch}, {threads} intra-op threads"));
// Warm-up: sessions, JIT, file cache.
Pipeline(chain);
Pipeline(featurizer);
Raw();
Func<double>[] contenders = [() => Pipeline(chain), () => Pipeline(featurizer), Raw];
var (toChain, toRaw) = (new List<double>(), new List<double>());
for (var r = 0; r < rounds; r++)
{
    // The order rotates every round, so no contender always runs first or after the same one.
    var rate = new double[3];
    for (var k = 0; k < 3; k++)
    {
        var which = (r + k) % 3;
        rate[which] = contenders[which]();
    }
    toChain.Add(rate[1] / rate[0]);
    toRaw.Add(rate[1] / rate[2]);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"round {r}: chain {rate[0]:F1} img/s, featurizer {rate[1]:F1} img/s, raw {rate[2]:F1} img/s; featurizer/chain {rate[1] / rate[0]:F3}, featurizer/raw {rate[1] / rate[2]:F3}"));
}
Console.WriteLine($"featurizer / chain: {Summary(toChain)}");
Console.WriteLine($"featurizer / raw:   {Summary(toRaw)}");
return 0;

static string Summary(List<double> ratios)
{
    ratios.Sort();
    var median = ratios.Count % 2 == 1 ? ratios[ratios.Count / 2] : (ratios[ratios.Count / 2 - 1] + ratios[ratios.Count / 2]) / 2;
    return string.Create(CultureInfo.InvariantCulture, $"median {median:F3} (range {ratios[0]:F3}-{ratios[^1]:F3}) over {ratios.Count} rounds");
}

internal sealed class Row
{
    public string ImagePath { get; set; } = "";
}
