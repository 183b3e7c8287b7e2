using System.Diagnostics;
using System.Globalization;
using InceptionNeXt.ML.Evaluation;
using InceptionNeXt.ML.OnnxFormat;
using InceptionNeXt.ML.Pipelines;
using InceptionNeXt.ML.Pipelines.Data;
using InceptionNeXt.ML.Pipelines.Trainers;
using InceptionNeXt.ML.Pipelines.Transforms;
using InceptionNeXt.ML.Trainers;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.Training;

namespace InceptionNeXt.Cli.ModelBuilder;

/// <summary>What <c>inceptionnext image-classification</c> was asked to do.</summary>
internal sealed record BuilderOptions
{
    public required string Dataset { get; init; }
    public string? ValidationDataset { get; init; }
    public TimeSpan TrainTime { get; init; } = TimeSpan.FromMinutes(5);
    public string? Model { get; init; }
    public string? Pretrained { get; init; }
    public required string Output { get; init; }
    public string Name { get; init; } = "ImageClassifier";
    public string? CacheDirectory { get; init; }
    public double ValidationFraction { get; init; } = 0.2;
    public int Seed { get; init; } = 1;
}

/// <summary>One trained candidate and its validation metrics.</summary>
/// <param name="Trainer">How it was trained.</param>
/// <param name="Metrics">Validation metrics.</param>
/// <param name="Time">Training time.</param>
/// <param name="Epochs">Per-epoch metrics of a head trainer (empty for fine-tuning, whose curves are in its own report).</param>
/// <param name="Stages">The fitted stages from image path to Score/PredictedLabel (what model.zip holds, before MapKeyToValue).</param>
/// <param name="Scored">The validation data as <paramref name="Stages"/> scored it (the metrics' source).</param>
/// <param name="Onnx">Makes the single ONNX file: the head grafted onto the backbone, or the fine-tuned export.</param>
internal sealed record Candidate(string Trainer, MulticlassMetrics Metrics, TimeSpan Time, IReadOnlyList<HeadTrainingEpoch> Epochs,
    IReadOnlyList<ITransformer> Stages, DataView Scored, Func<byte[]> Onnx);

/// <summary>
/// Model Builder's image classification, for InceptionNeXt: one folder per label in; backbone features cached on
/// disk; heads tried within the time budget and the best kept by validation accuracy; model.zip, model.onnx (head
/// grafted onto the backbone, labels and preprocessing inside), report.html and a console app out.
/// </summary>
internal sealed class ImageClassificationBuilder(BuilderOptions o, Action<string> log)
{
    /// <summary>The bundled Fashion-MNIST backbone used when no --pretrained weights are given.</summary>
    public const string DefaultBackbone = "inceptionnext_atto_fashion_mnist.onnx";

    public Candidate Run()
    {
        var clock = Stopwatch.StartNew();
        var ctx = new InceptionNeXtContext(o.Seed);
        Directory.CreateDirectory(o.Output);

        var (train, validation) = LoadData(ctx);
        var (backbone, backboneName) = LoadBackbone();

        var skipped = new List<SkippedImage>();
        var cache = o.CacheDirectory ?? DefaultCacheDirectory();
        var lastReport = Stopwatch.StartNew();
        var featurizeOptions = new ImageFeaturizerOptions
        {
            CacheDirectory = cache, UnreadableImages = UnreadableImagePolicy.Skip, OnSkipped = skipped.Add,
            OnProgress = (done, total) =>
            {
                if (done == total || lastReport.Elapsed.TotalSeconds >= 5)
                {
                    log($"  features {done}/{total} ({clock.Elapsed.TotalSeconds:F0} s)");
                    lastReport.Restart();
                }
            },
        };
        log($"backbone: {backboneName}; feature cache: {cache}");
        var featurizePipeline = ctx.Transforms.LoadImages("Image", null, "ImagePath")
            .Append(ctx.Transforms.FeaturizeImages(backbone, backboneName, "Features", "Image", featurizeOptions));
        using var featurizer = featurizePipeline.Fit(train);
        var featurizerStage = featurizer.LastTransformer;
        var trainFeatures = featurizer.Transform(train);
        var validationFeatures = featurizer.Transform(validation);
        foreach (var s in skipped) Console.Error.WriteLine($"skipped {s.Source}: {s.Reason}");
        log($"features: {trainFeatures.RowCount} train, {validationFeatures.RowCount} validation images, {featurizerStage.FeatureSize} values each " +
            $"({featurizerStage.CacheHits} from cache, {featurizerStage.BackboneImages} through the backbone){(skipped.Count > 0 ? $"; {skipped.Count} unreadable file(s) skipped" : "")}");
        if (trainFeatures.RowCount == 0) throw new ArgumentException($"No image in {o.Dataset} could be read.");
        if (validationFeatures.RowCount == 0) throw new ArgumentException("No validation image could be read.");

        var keys = ctx.Transforms.Conversion.MapValueToKey("Label").Fit(trainFeatures);
        var trainSet = keys.Transform(trainFeatures);
        var validationSet = keys.Transform(validationFeatures);

        var candidates = new List<Candidate>();
        foreach (var (name, make) in Trainers())
        {
            if (candidates.Count > 0 && clock.Elapsed >= o.TrainTime)
            {
                log($"time budget reached: {name} not tried");
                continue;
            }
            var epochs = new List<HeadTrainingEpoch>();
            var trainer = make(epochs.Add);
            var timer = Stopwatch.StartNew();
            using var cancel = new CancellationTokenSource(Max(TimeSpan.FromSeconds(5), o.TrainTime - clock.Elapsed));
            var head = new HeadTrainerEstimator(trainer, "Label", "Features") { CancellationToken = cancel.Token }.Fit(trainSet, validationSet);
            var scored = head.Transform(validationSet);
            var metrics = ctx.MulticlassClassification.Evaluate(scored);
            candidates.Add(new Candidate(name, metrics, timer.Elapsed, epochs, [.. featurizer.Transformers, head], scored,
                () => OnnxHeadGrafting.Graft(backbone, head.Head, head.Labels, o.Name)));
            log(string.Create(CultureInfo.InvariantCulture,
                $"{name}: validation accuracy {metrics.MicroAccuracy:P2} (macro {metrics.MacroAccuracy:P2}), log-loss {metrics.LogLoss:F4}, {timer.Elapsed.TotalSeconds:F1} s"));
        }
        var tuned = FineTune(ctx, trainFeatures, validationFeatures, validationSet, keys.KeyValues, o.TrainTime - clock.Elapsed);
        using var tunedChain = tuned?.Chain;
        if (tuned is { } t) candidates.Add(t.Candidate);

        var best = candidates.OrderByDescending(c => c.Metrics.MicroAccuracy).ThenBy(c => c.Metrics.LogLoss).First();
        log($"best: {best.Trainer}");

        // model.zip: the consumer passes ImagePath only, so the label mapping (a training-time stage) is left out.
        var zip = Path.Combine(o.Output, "model.zip");
        var onnx = Path.Combine(o.Output, "model.onnx");
        var keyToValue = ctx.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(best.Scored);
        ctx.Model.Save(new TransformerChain<ITransformer>([.. best.Stages, keyToValue]), new DataViewSchema([new SchemaColumn("ImagePath", ColumnType.Text)]), zip);
        File.WriteAllBytes(onnx, best.Onnx());
        BuilderReport.Write(Path.Combine(o.Output, "report.html"), o, backboneName, candidates, best, skipped, trainFeatures.RowCount, validationFeatures.RowCount);
        var sample = trainFeatures.GetColumn<string>("ImagePath")[0];
        var app = ConsoleAppGenerator.Generate(o.Output, o.Name, Path.GetFullPath(sample));

        log("");
        log(best.Metrics.ToText());
        log($"wrote {zip}");
        log($"wrote {onnx}");
        log($"wrote {Path.Combine(o.Output, "report.html")}");
        log($"wrote {app} (dotnet run --project {app} -- IMAGE...)");
        return best;
    }

    private static readonly TimeSpan MinFineTuneTime = TimeSpan.FromSeconds(60);

    /// <summary>
    /// When --pretrained weights and at least a minute of the budget are left, fine-tunes the whole model on the same train/validation split (an ImageNet-layout folder of links to
    /// the readable images), exports the best epoch with preprocessing embedded and scores it on the validation set.
    /// </summary>
    private (Candidate Candidate, IDisposable Chain)? FineTune(InceptionNeXtContext ctx, DataView train, DataView validation, DataView validationSet, IReadOnlyList<string> labels, TimeSpan remaining)
    {
        if (o.Pretrained is null)
        {
            log("fine-tuning: skipped (it needs --pretrained weights; the bundled model ships as ONNX only)");
            return null;
        }
        if (remaining < MinFineTuneTime)
        {
            log($"fine-tuning: skipped ({Math.Max(0, remaining.TotalSeconds):F0} s of the budget left; it needs {MinFineTuneTime.TotalSeconds:F0} s)");
            return null;
        }
        var timer = Stopwatch.StartNew();
        var root = Path.Combine(o.Output, "finetune");
        var layout = Path.Combine(root, "data");
        if (Directory.Exists(layout)) Directory.Delete(layout, recursive: true);
        LinkImages(train, Path.Combine(layout, "train"));
        LinkImages(validation, Path.Combine(layout, "val"));
        // Export and validation run after training: keep a share of the budget for them.
        var budget = TimeSpan.FromSeconds(Math.Max(20, remaining.TotalSeconds * 0.8 - 10));
        log($"fine-tuning {o.Model ?? "inceptionnext_atto"} from {o.Pretrained} for {budget.TotalSeconds:F0} s");
        var options = new TrainOptions
        {
            Data = layout, Model = o.Model ?? "inceptionnext_atto", Pretrained = o.Pretrained, Output = root, TimeBudget = budget,
            BatchSize = Math.Clamp(train.RowCount / 4, 2, 32), Seed = o.Seed,
        };
        try
        {
            new Trainer(options, line => { if (!line.StartsWith("epoch ", StringComparison.Ordinal) || line.Contains(':', StringComparison.Ordinal)) log("  " + line); }).Run();
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or InvalidOperationException)
        {
            log($"fine-tuning failed, keeping the heads: {e.Message}");
            return null;
        }
        var onnx = Path.Combine(root, "model.onnx");
        OnnxExporter.ExportTrainingCheckpoint(Path.Combine(root, "best.pth"), onnx, new OnnxExportOptions { EmbedPreprocessing = true });
        var classify = ctx.Transforms.LoadImages("Image", null, "ImagePath").Append(ctx.Transforms.ClassifyImages(onnx)).Fit(validationSet);
        if (!classify.LastTransformer.Labels.SequenceEqual(labels))
        {
            classify.Dispose();
            log("fine-tuning: the fine-tuned model's labels differ from the data's; keeping the heads");
            return null;
        }
        var scored = classify.Transform(validationSet);
        var metrics = ctx.MulticlassClassification.Evaluate(scored);
        log(string.Create(CultureInfo.InvariantCulture,
            $"fine-tuned: validation accuracy {metrics.MicroAccuracy:P2} (macro {metrics.MacroAccuracy:P2}), log-loss {metrics.LogLoss:F4}, {timer.Elapsed.TotalSeconds:F1} s (curves: {Path.Combine(root, "report.html")})"));
        return (new Candidate($"fine-tuned {options.Model}", metrics, timer.Elapsed, [], classify.Transformers, scored, () => File.ReadAllBytes(onnx)), classify);
    }

    private static void LinkImages(DataView data, string folder)
    {
        var paths = data.GetColumn<string>("ImagePath");
        var labels = data.GetColumn<string>("Label");
        for (var i = 0; i < data.RowCount; i++)
        {
            var dir = Path.Combine(folder, labels[i]);
            Directory.CreateDirectory(dir);
            File.CreateSymbolicLink(Path.Combine(dir, $"{i:D6}_{Path.GetFileName(paths[i])}"), Path.GetFullPath(paths[i]));
        }
    }

    private (DataView Train, DataView Validation) LoadData(InceptionNeXtContext ctx)
    {
        var data = ctx.Data.LoadFromImageFolder(o.Dataset);
        var labels = data.GetColumn<string>("Label").ToArray().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (labels.Length < 2)
            throw new ArgumentException($"{o.Dataset} has one label folder ('{labels[0]}'); image classification needs at least two, one subfolder per label.");
        log($"data: {data.RowCount} images, {labels.Length} labels ({string.Join(", ", labels.Take(10))}{(labels.Length > 10 ? ", ..." : "")})");
        if (o.ValidationDataset is { } v)
        {
            var val = ctx.Data.LoadFromImageFolder(v);
            var unknown = val.GetColumn<string>("Label").ToArray().Distinct().Where(l => !labels.Contains(l)).ToArray();
            if (unknown.Length > 0)
                throw new ArgumentException($"{v} has label folder(s) not in {o.Dataset}: {string.Join(", ", unknown)}.");
            return (data, val);
        }
        var split = ctx.Data.TrainTestSplit(data, o.ValidationFraction, "Label");
        log($"validation: {split.TestSet.RowCount} images held out ({o.ValidationFraction:P0} of each label)");
        return (split.TrainSet, split.TestSet);
    }

    private (byte[] Model, string Name) LoadBackbone()
    {
        if (o.Pretrained is { } weights)
        {
            if (!File.Exists(weights)) throw new FileNotFoundException($"--pretrained {weights} not found.", weights);
            var model = o.Model ?? "inceptionnext_atto";
            var path = Path.Combine(o.Output, "backbone.onnx");
            log($"exporting {model} with {weights} to {path}");
            OnnxExporter.Export(model, weights, path, new OnnxExportOptions { EmbedPreprocessing = true });
            return (File.ReadAllBytes(path), $"{model} ({Path.GetFileName(weights)})");
        }
        if (o.Model is not null)
            throw new ArgumentException($"--model {o.Model} needs --pretrained weights: features of untrained weights are not useful. Download the official checkpoint and pass it with --pretrained.");
        var bundled = Path.Combine(AppContext.BaseDirectory, "Models", DefaultBackbone);
        if (!File.Exists(bundled)) throw new FileNotFoundException($"The bundled backbone {bundled} is missing; pass --model NAME --pretrained FILE.", bundled);
        log("no --pretrained weights: using the bundled Fashion-MNIST backbone (small grayscale images; ImageNet weights from the official repository work far better on photos)");
        return (File.ReadAllBytes(bundled), DefaultBackbone);
    }

    private IEnumerable<(string Name, Func<Action<HeadTrainingEpoch>, IHeadTrainer> Make)> Trainers()
    {
        yield return ("logistic-regression (L-BFGS, L2 1e-3)", e => new LbfgsLogisticRegression { L2Regularization = 1e-3, OnEpoch = e });
        yield return ("mlp (256 hidden)", e => new MlpHeadTrainer { HiddenSize = 256, Seed = o.Seed, OnEpoch = e });
        yield return ("logistic-regression (L-BFGS, L2 1e-2)", e => new LbfgsLogisticRegression { L2Regularization = 1e-2, OnEpoch = e });
        yield return ("logistic-regression (L-BFGS, L2 1e-4)", e => new LbfgsLogisticRegression { L2Regularization = 1e-4, OnEpoch = e });
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static string DefaultCacheDirectory()
    {
        var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x ? x
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "inceptionnext", "features");
    }
}
