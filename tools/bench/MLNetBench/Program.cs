// Times two ML.NET pipelines that turn a folder of images into InceptionNeXt features with the same .onnx file (exported
// with --embed-preprocessing, so both feed it 0-255 RGB pixels), in alternating rounds in one process:
//   chain:      LoadImages -> ResizeImages -> ExtractPixels -> ApplyOnnxModel (ML.NET's recipe; one ONNX Runtime call per row)
//   featurizer: FeaturizeImagesWithInceptionNeXt (batched, timm's resize-then-crop)
// Each round reads every row's features through a cursor. Prints per-round img/s and the median ratio featurizer / chain
// with its range. Usage: MLNetBench MODEL.onnx IMAGE_DIR ROUNDS THREADS
using System.Diagnostics;
using System.Globalization;
using InceptionNeXt.ML.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: MLNetBench MODEL.onnx IMAGE_DIR ROUNDS THREADS");
    return 2;
}

var (model, folder) = (args[0], args[1]);
var (rounds, threads) = (int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture));
var ml = new MLContext(seed: 1);
var rows = Directory.GetFiles(folder, "*.jpg").Order(StringComparer.Ordinal).Select(p => new Row { ImagePath = p }).ToArray();
var data = ml.Data.LoadFromEnumerable(rows);
const int Size = 224;

// The featurizer first: it sets up ONNX Runtime's environment (telemetry off) before ApplyOnnxModel touches the library.
var featurizer = ml.Transforms.FeaturizeImagesWithInceptionNeXt("features", "ImagePath", model,
    new InceptionNeXtFeaturizerOptions { BatchSize = 16, IntraOpThreads = threads }).Fit(data);

var chain = ml.Transforms.LoadImages("Image", imageFolder: "", "ImagePath")
    .Append(ml.Transforms.ResizeImages("Image", Size, Size, cropAnchor: ImageResizingEstimator.Anchor.Center))
    .Append(ml.Transforms.ExtractPixels("input", "Image", interleavePixelColors: false, scaleImage: 1f))
    .Append(ml.Transforms.ApplyOnnxModel(["features"], ["input"], model, shapeDictionary: new Dictionary<string, int[]> { ["input"] = [1, 3, Size, Size] },
        gpuDeviceId: null, fallbackToCpu: false))
    .Fit(data);
double Time(ITransformer transformer)
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

Time(chain); // warm-up: sessions, JIT, file cache
Time(featurizer);
var ratios = new List<double>();
for (var r = 0; r < rounds; r++)
{
    double a, b;
    if (r % 2 == 0) { a = Time(chain); b = Time(featurizer); }
    else { b = Time(featurizer); a = Time(chain); }
    ratios.Add(b / a);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round {r}: chain {a:F1} img/s, featurizer {b:F1} img/s, ratio {b / a:F3}"));
}
ratios.Sort();
var median = ratios.Count % 2 == 1 ? ratios[ratios.Count / 2] : (ratios[ratios.Count / 2 - 1] + ratios[ratios.Count / 2]) / 2;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"featurizer / chain: median {median:F3} (range {ratios[0]:F3}-{ratios[^1]:F3}) over {rounds} rounds, {rows.Length} images"));
return 0;

internal sealed class Row
{
    public string ImagePath { get; set; } = "";
}
