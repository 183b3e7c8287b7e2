using System.Diagnostics;
using System.Globalization;
using InceptionNeXt.ML.MLNet;
using InceptionNeXt.ML.OnnxFormat;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.MLNet;
using InceptionNeXt.Training.TorchModels;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

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
/// <param name="Metrics">Validation metrics from <c>mlContext.MulticlassClassification.Evaluate</c>.</param>
/// <param name="Time">Training time.</param>
/// <param name="Model">Image path in, Score and PredictedLabel (a key) out: what model.zip holds, before MapKeyToValue.</param>
/// <param name="Scored">The validation data as <paramref name="Model"/> scored it (the metrics' source; Label is a key).</param>
/// <param name="Onnx">Makes the single ONNX file: the head grafted onto the backbone, or the fine-tuned export.</param>
internal sealed record Candidate(string Trainer, MulticlassClassificationMetrics Metrics, TimeSpan Time, ITransformer Model, IDataView Scored, Func<byte[]> Onnx);

/// <summary>An image left out because it could not be read, and why.</summary>
internal sealed record SkippedImage(string Source, string Reason);

/// <summary>
/// Model Builder's image classification, for InceptionNeXt on ML.NET: one folder per label in; backbone features
/// (FeaturizeImagesWithInceptionNeXt) cached on disk; ML.NET trainers tried as heads within the time budget and the best
/// kept by validation accuracy; model.zip (ml.Model.Save), model.onnx (head grafted onto the backbone, labels and
/// preprocessing inside), report.html and a console app out.
/// </summary>
internal sealed class ImageClassificationBuilder(BuilderOptions o, Action<string> log)
{
    /// <summary>The bundled Fashion-MNIST backbone used when no --pretrained weights are given.</summary>
    public const string DefaultBackbone = "inceptionnext_atto_fashion_mnist.onnx";

    public Candidate Run()
    {
        var clock = Stopwatch.StartNew();
        ConsoleAppGenerator.FindLibraryPackage(); // fail now, not after the training, when the console project cannot be written
        var ml = new MLContext(o.Seed);
        Directory.CreateDirectory(o.Output);

        var (train, validation) = LoadData(ml);
        var (backbone, backboneName) = LoadBackbone();
        var cache = o.CacheDirectory is { } asked ? CheckedCacheDirectory(asked) : DefaultCacheDirectory(log);
        log($"backbone: {backboneName}; feature cache: {cache ?? "none"}");

        // Unreadable images get missing features and a reason in "Error"; they are listed and filtered out below. The
        // featurizer's on-disk cache answers images it has seen (same file, same backbone) without running the backbone.
        var featurizer = ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", backbone,
            new() { OnUnreadableImage = UnreadableImagePolicy.Skip, ErrorColumnName = "Error", CacheDirectory = cache }).Fit(train);
        // Held in memory once computed: every column filled by the first pass, so the backbone sees each image once.
        string[] columns = ["ImagePath", "Label", "Features", "Error"];
        var trainAll = ml.Data.Cache(featurizer.Transform(train), columns);
        var validationAll = ml.Data.Cache(featurizer.Transform(validation), columns);
        var skipped = Skipped(trainAll).Concat(Skipped(validationAll)).ToList();
        foreach (var s in skipped) Console.Error.WriteLine($"skipped {s.Source}: {s.Reason}");
        var trainFeatures = ml.Data.Cache(ml.Data.FilterRowsByMissingValues(trainAll, "Features"));
        var validationFeatures = ml.Data.Cache(ml.Data.FilterRowsByMissingValues(validationAll, "Features"));
        int trainCount = Count(trainFeatures), validationCount = Count(validationFeatures);
        var total = Count(trainAll) + Count(validationAll);
        // Unreadable images are never cached, and never reach the backbone either.
        var fromCache = featurizer.CacheHits;
        if (featurizer.CacheWriteError is { } cacheError)
            Console.Error.WriteLine($"warning: the feature cache in {cache} could not be written ({cacheError.Message}); this run went on, and the next one computes again what it could not keep.");
        log($"features: {trainCount} train, {validationCount} validation images, {featurizer.FeatureSize} values each " +
            $"({fromCache} from cache, {total - fromCache - skipped.Count} through the backbone){(skipped.Count > 0 ? $"; {skipped.Count} unreadable file(s) skipped" : "")}");
        if (trainCount == 0) throw new ArgumentException($"No image in {o.Dataset} could be read.");
        if (validationCount == 0) throw new ArgumentException("No validation image could be read.");

        // Keys in label order, so scores, model.onnx and the report list the labels alphabetically.
        var keys = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(trainFeatures);
        var trainSet = ml.Data.Cache(keys.Transform(trainFeatures));
        var validationSet = keys.Transform(validationFeatures);
        var imagePathSchema = ImagePathSchema();
        var backboneBytes = File.ReadAllBytes(backbone);

        var candidates = new List<Candidate>();
        // With --pretrained the fine-tuning candidate needs its minute: further heads must not eat it.
        var headTime = o.Pretrained is not null ? o.TrainTime - MinFineTuneTime : o.TrainTime;
        foreach (var (name, make) in Trainers(ml))
        {
            if (candidates.Count > 0 && clock.Elapsed >= headTime)
            {
                log($"time budget reached: {name} not tried");
                continue;
            }
            var timer = Stopwatch.StartNew();
            var head = ml.Transforms.NormalizeMeanVariance("Features").Append(make()).Fit(trainSet);
            var scored = head.Transform(validationSet);
            var metrics = ml.MulticlassClassification.Evaluate(scored);
            var model = featurizer.Append(head);
            candidates.Add(new Candidate(name, metrics, timer.Elapsed, model, scored, () =>
            {
                var (classifierHead, labels) = MLNetClassifierHead.Extract(model, imagePathSchema);
                return OnnxHeadGrafting.Graft(backboneBytes, classifierHead, labels, o.Name);
            }));
            log(string.Create(CultureInfo.InvariantCulture,
                $"{name}: validation accuracy {metrics.MicroAccuracy:P2} (macro {metrics.MacroAccuracy:P2}), log-loss {metrics.LogLoss:F4}, {timer.Elapsed.TotalSeconds:F1} s"));
        }
        var labelNames = LabelNames(candidates[0].Scored);
        if (FineTune(ml, trainSet, validationSet, labelNames, trainCount, o.TrainTime - clock.Elapsed) is { } tuned) candidates.Add(tuned);

        var best = candidates.OrderByDescending(c => c.Metrics.MicroAccuracy).ThenBy(c => c.Metrics.LogLoss).First();
        log($"best: {best.Trainer}");

        // model.zip: the consumer passes ImagePath only, so the label mapping (a training-time stage) is left out.
        var zip = Path.Combine(o.Output, "model.zip");
        var onnx = Path.Combine(o.Output, "model.onnx");
        var keyToValue = ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(best.Scored);
        ml.Model.Save(best.Model.Append(keyToValue), imagePathSchema, zip);
        File.WriteAllBytes(onnx, best.Onnx());
        BuilderReport.Write(Path.Combine(o.Output, "report.html"), o, backboneName, candidates, best, labelNames, skipped, trainCount, validationCount);
        var sample = trainFeatures.GetColumn<string>("ImagePath").First();
        var app = ConsoleAppGenerator.Generate(o.Output, o.Name, Path.GetFullPath(sample));

        log("");
        log(string.Create(CultureInfo.InvariantCulture,
            $"micro accuracy {best.Metrics.MicroAccuracy:F4}, macro accuracy {best.Metrics.MacroAccuracy:F4}, log-loss {best.Metrics.LogLoss:F4}"));
        log(best.Metrics.ConfusionMatrix.GetFormattedConfusionTable());
        log($"wrote {zip}");
        log($"wrote {onnx}");
        log($"wrote {Path.Combine(o.Output, "report.html")}");
        log($"wrote {app} (dotnet run --project {app} -- IMAGE...)");
        return best;
    }

    private static int Count(IDataView data) => data.GetColumn<string>("ImagePath").Count();

    private static IEnumerable<SkippedImage> Skipped(IDataView features) =>
        features.GetColumn<string>("ImagePath").Zip(features.GetColumn<string>("Error"))
            .Where(r => r.Second.Length > 0).Select(r => new SkippedImage(r.First, r.Second)).ToList();

    private static DataViewSchema ImagePathSchema()
    {
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("ImagePath", TextDataViewType.Instance);
        return builder.ToSchema();
    }

    /// <summary>The labels in key order, from the scored data's Score slot names.</summary>
    internal static string[] LabelNames(IDataView scored)
    {
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        scored.Schema["Score"].GetSlotNames(ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }

    private static readonly TimeSpan MinFineTuneTime = TimeSpan.FromSeconds(60);

    /// <summary>
    /// When --pretrained weights and at least a minute of the budget are left, fine-tunes the whole model on the same
    /// train/validation split with mlContext.MulticlassClassification.Trainers.InceptionNeXt (TorchSharp; best epoch
    /// exported to ONNX with its preprocessing) and scores it on the validation set.
    /// </summary>
    private Candidate? FineTune(MLContext ml, IDataView trainSet, IDataView validationSet, IReadOnlyList<string> labels, int trainCount, TimeSpan remaining)
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
        // Export and validation run after training: keep a share of the budget for them.
        var budget = TimeSpan.FromSeconds(Math.Max(20, remaining.TotalSeconds * 0.8 - 10));
        var architecture = o.Model ?? "inceptionnext_atto";
        log($"fine-tuning {architecture} from {o.Pretrained} for {budget.TotalSeconds:F0} s");
        // Keys ordered by value on both sets (one fitted mapping), so the trainer's classes are the labels in order.
        var trainer = ml.MulticlassClassification.Trainers.InceptionNeXt(new InceptionNeXtTrainerOptions
        {
            Architecture = architecture, PretrainedWeights = o.Pretrained, TimeBudget = budget, ValidationSet = validationSet,
            BatchSize = Math.Clamp(trainCount / 4, 2, 32), Seed = o.Seed, WorkingDirectory = root,
            MetricsCallback = e => log(string.Create(CultureInfo.InvariantCulture,
                $"  epoch {e.Epoch}: train loss {e.TrainLoss:F4}, val top-1 {e.Top1:F2}%, {e.ImagesPerSecond:F0} img/s")),
            ProgressCallback = _ => { },
        });
        InceptionNeXtScoringTransformer classify;
        try
        {
            classify = trainer.Fit(trainSet);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or IOException or InvalidOperationException)
        {
            log($"fine-tuning failed, keeping the heads: {e.Message}");
            return null;
        }
        var scored = classify.Transform(validationSet);
        if (!LabelNames(scored).SequenceEqual(labels))
        {
            log("fine-tuning: the fine-tuned model's labels differ from the data's; keeping the heads");
            return null;
        }
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        log(string.Create(CultureInfo.InvariantCulture,
            $"fine-tuned: validation accuracy {metrics.MicroAccuracy:P2} (macro {metrics.MacroAccuracy:P2}), log-loss {metrics.LogLoss:F4}, {timer.Elapsed.TotalSeconds:F1} s (curves: {Path.Combine(root, "report.html")})"));
        var onnx = Path.Combine(root, "model.onnx");
        return new Candidate($"fine-tuned {architecture}", metrics, timer.Elapsed, classify, scored, () => File.ReadAllBytes(onnx));
    }

    private (IDataView Train, IDataView Validation) LoadData(MLContext ml)
    {
        var rows = ImageFolderCatalog.ReadImageFolder(o.Dataset);
        if (InceptionNeXt.ML.Imaging.ImageFiles.Scan(o.Dataset).UnreadSummary is { } unread) Console.Error.WriteLine($"warning: {o.Dataset}: {unread}");
        var labels = rows.Select(r => r.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        if (labels.Length < 2)
            throw new ArgumentException($"{o.Dataset} has one label folder ('{labels[0]}'); image classification needs at least two, one subfolder per label.");
        log($"data: {rows.Count} images, {labels.Length} labels ({string.Join(", ", labels.Take(10))}{(labels.Length > 10 ? ", ..." : "")})");
        var data = ml.Data.LoadFromEnumerable(rows);
        if (o.ValidationDataset is { } v)
        {
            var val = ImageFolderCatalog.ReadImageFolder(v);
            var unknown = val.Select(r => r.Label).Distinct().Where(l => !labels.Contains(l)).ToArray();
            if (unknown.Length > 0)
                throw new ArgumentException($"{v} has label folder(s) not in {o.Dataset}: {string.Join(", ", unknown)}.");
            return (data, ml.Data.LoadFromEnumerable(val));
        }
        // ML.NET's split is random (seeded), not stratified by label.
        var split = ml.Data.TrainTestSplit(data, o.ValidationFraction, seed: o.Seed);
        log($"validation: {Count(split.TestSet)} images held out (a seeded random {o.ValidationFraction:P0})");
        return (split.TrainSet, split.TestSet);
    }

    private (string Path, string Name) LoadBackbone()
    {
        if (o.Pretrained is { } weights)
        {
            if (!File.Exists(weights)) throw new FileNotFoundException($"--pretrained {weights} not found.", weights);
            var model = o.Model ?? "inceptionnext_atto";
            var path = Path.Combine(o.Output, "backbone.onnx");
            log($"exporting {model} with {weights} to {path}");
            TorchOnnxExporter.Export(model, weights, path, new OnnxExportOptions { EmbedPreprocessing = true });
            return (path, $"{model} ({Path.GetFileName(weights)})");
        }
        if (o.Model is not null)
            throw new ArgumentException($"--model {o.Model} needs --pretrained weights: features of untrained weights are not useful. Download the official checkpoint and pass it with --pretrained.");
        var bundled = Path.Combine(AppContext.BaseDirectory, "Models", DefaultBackbone);
        if (!File.Exists(bundled)) throw new FileNotFoundException($"The bundled backbone {bundled} is missing; pass --model NAME --pretrained FILE.", bundled);
        log("no --pretrained weights: using the bundled Fashion-MNIST backbone (small grayscale images; ImageNet weights from the official repository work far better on photos)");
        return (bundled, DefaultBackbone);
    }

    // ML.NET's multiclass trainers on standardised features, cheapest first. SDCA left to its own stopping rule took 29 s of
    // a 30 s budget on 150 images (L-BFGS: 3 s), so it comes last with a bounded number of passes.
    private static IEnumerable<(string Name, Func<IEstimator<ITransformer>> Make)> Trainers(MLContext ml)
    {
        yield return ("LbfgsMaximumEntropy (L2 1e-3)", () => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(l2Regularization: 1e-3f));
        yield return ("LbfgsMaximumEntropy (L2 1e-2)", () => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(l2Regularization: 1e-2f));
        yield return ("LbfgsMaximumEntropy (L2 1e-4)", () => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(l2Regularization: 1e-4f));
        yield return ("SdcaMaximumEntropy (30 passes)", () => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 30));
    }

    /// <summary>The --cache folder, made now: one that cannot be is refused before any work.</summary>
    private static string CheckedCacheDirectory(string directory) => CreateFolder(directory) is { } e
        ? throw new ArgumentException($"--cache {directory}: cannot create the folder ({e.Message}); choose a writable folder.")
        : directory;

    /// <summary>~/.cache/inceptionnext/features (XDG_CACHE_HOME when set), or null when it cannot be made (a read-only home, say): the cache was not asked for, so it is only skipped.</summary>
    private static string? DefaultCacheDirectory(Action<string> log)
    {
        var root = Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } x ? x
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        var directory = Path.Combine(root, "inceptionnext", "features");
        if (CreateFolder(directory) is not { } e) return directory;
        log($"no feature cache: cannot create {directory} ({e.Message}); pass --cache FOLDER to keep features between runs");
        return null;
    }

    /// <summary>Makes <paramref name="directory"/> (and its parents); the error when it cannot be made, else null.</summary>
    private static Exception? CreateFolder(string directory)
    {
        try
        {
            Directory.CreateDirectory(directory);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e;
        }
    }
}
