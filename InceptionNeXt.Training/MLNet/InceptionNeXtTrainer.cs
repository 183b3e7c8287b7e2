using System.Globalization;
using InceptionNeXt.ML.MLNet;
using InceptionNeXt.Training.Data;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;
using InceptionNeXt.Training.TorchTraining;
using InceptionNeXt.Training.Training;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace InceptionNeXt.Training.MLNet;

/// <summary>
/// Trains or fine-tunes an InceptionNeXt / ConvNeXt image classifier with TorchSharp on the rows of an IDataView (an
/// image column and a key label column) and returns the ML.NET component's <see cref="InceptionNeXtScoringTransformer"/>
/// over the exported ONNX model: it adds <c>Score</c> and <c>PredictedLabel</c> as ML.NET's multiclass trainers do, so
/// <c>mlContext.MulticlassClassification.Evaluate</c> takes its output, and it saves into model.zip and runs there on ONNX
/// Runtime alone, without libtorch. Made by <c>mlContext.MulticlassClassification.Trainers.InceptionNeXt</c>.
/// </summary>
public sealed class InceptionNeXtTrainer : IEstimator<InceptionNeXtScoringTransformer>
{
    private readonly IHost host;
    private readonly InceptionNeXtTrainerOptions options;

    internal InceptionNeXtTrainer(IHostEnvironment env, InceptionNeXtTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        host = env.Register(nameof(InceptionNeXtTrainer));
        this.options = options;
        Validate(options);
    }

    /// <summary>What the last <see cref="Fit"/> achieved (best and last validation, epochs), or null before one.</summary>
    public TrainResult? LastResult { get; private set; }

    /// <summary>
    /// Trains on <paramref name="input"/> (validating on <see cref="InceptionNeXtTrainerOptions.ValidationSet"/> or a
    /// held-out share), exports the best epoch to ONNX with its preprocessing and class names, and returns a transformer over it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message says how to fix it).</exception>
    /// <exception cref="ArgumentException">The validation set's classes differ, or too few rows for a batch.</exception>
    /// <exception cref="InvalidOperationException">Fewer than two classes, or no labelled rows.</exception>
    /// <exception cref="OperationCanceledException">The MLContext was cancelled (<c>mlContext.CancelExecution()</c>).</exception>
    public InceptionNeXtScoringTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var classes = CheckColumns(input.Schema, "training data");
        if (classes.Count < 2)
            throw new InvalidOperationException($"Label column '{options.LabelColumnName}' has {classes.Count} class; a classifier needs at least 2.");
        var all = new DataViewImageDataset(input, options.ImageColumnName, options.LabelColumnName, options.ImageFolder, classes);
        if (all.Count == 0)
            throw new InvalidOperationException($"No training row has a label in column '{options.LabelColumnName}' ({all.MissingLabels} rows have a missing key).");

        using var channel = host.Start("Training");
        void Log(string line) => TrainerSupport.Info(channel, line);
        if (all.MissingLabels > 0) Log($"{all.MissingLabels} training rows without a label left out");
        var data = OpenData(all, classes, Log);

        var temporary = options.WorkingDirectory is null;
        var folder = options.WorkingDirectory ?? Path.Combine(Path.GetTempPath(), "inceptionnext-trainer-" + Guid.NewGuid().ToString("N"));
        try
        {
            var train = new TrainOptions
            {
                Data = $"IDataView column '{options.ImageColumnName}'",
                Model = options.Architecture,
                Output = folder,
                Force = true, // the trainer's own working folder
                Pretrained = options.PretrainedWeights,
                FreezeStages = options.FreezeStages,
                Epochs = options.Epochs,
                TimeBudget = options.TimeBudget,
                BatchSize = Math.Min(options.BatchSize, Math.Max(2, data.Train.Count)),
                Lr = options.LearningRate,
                ImageSize = options.ImageSize,
                EarlyStoppingPatience = options.EarlyStoppingPatience,
                Seed = options.Seed,
                Device = options.Device,
                Threads = options.Threads,
                Workers = options.Workers,
            };
            var progress = options.ProgressCallback;
            var trainer = new TorchTrainer(train, data, Log)
            {
                OnEpoch = options.MetricsCallback,
                OnStep = step =>
                {
                    TrainerSupport.CheckAlive(host); // mlContext.CancelExecution() ends the run here
                    if (progress is not null) progress(step);
                    else if (step.Step % 25 == 0 || step.Step == step.StepsPerEpoch)
                        Log(string.Create(CultureInfo.InvariantCulture,
                            $"epoch {step.Epoch} [{step.Step}/{step.StepsPerEpoch}] loss {step.Loss:F4} lr {step.LearningRate:E2} {step.ImagesPerSecond:F0} img/s"));
                },
            };
            LastResult = trainer.Run();

            var best = Path.Combine(folder, "best.pth");
            var checkpoint = File.Exists(best) ? best : LastResult.CheckpointPath;
            var onnx = Path.Combine(folder, "model.onnx");
            TorchOnnxExporter.ExportTrainingCheckpoint(checkpoint, onnx, new OnnxExportOptions { EmbedPreprocessing = true, Labels = classes });
            Log($"exported {Path.GetFileName(checkpoint)} (validation top-1 {LastResult.BestTop1.ToString("F2", CultureInfo.InvariantCulture)}%) to ONNX");
            var scorer = options.Scorer.Clone();
            scorer.ImageFolder = options.ImageFolder;
            return TrainerSupport.CreateScorer(host, options.ImageColumnName, File.ReadAllBytes(onnx), $"{options.Architecture} trained by {nameof(InceptionNeXtTrainer)}", scorer);
        }
        finally
        {
            if (temporary && Directory.Exists(folder))
            {
                try { Directory.Delete(folder, recursive: true); }
                catch (IOException) { } // a leftover temporary folder is not worth failing a fitted model for
            }
        }
    }

    /// <summary>The input's columns with <c>Score</c> and <c>PredictedLabel</c> (and the error column, if set) added.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The image or label column is missing or of the wrong type.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        ImageColumn.Check(inputSchema, options.ImageColumnName);
        var found = inputSchema.Where(c => c.Name == options.LabelColumnName).ToList();
        if (found.Count == 0)
            throw new ArgumentOutOfRangeException(nameof(inputSchema), $"No label column '{options.LabelColumnName}'. Set LabelColumnName.");
        if (!found[0].IsKey)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"Label column '{options.LabelColumnName}' is not a key. Map the labels to keys first: mlContext.Transforms.Conversion.MapValueToKey(\"{options.LabelColumnName}\").");
        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (var output in TrainerSupport.ScorerShapes(options.Scorer)) columns[output.Name] = output;
        return new SchemaShape(columns.Values);
    }

    private IReadOnlyList<string> CheckColumns(DataViewSchema schema, string what)
    {
        try
        {
            ImageColumn.Find(schema, options.ImageColumnName);
            return DataViewImageDataset.ClassesOf(schema, options.LabelColumnName);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new ArgumentOutOfRangeException(e.ParamName, $"The {what}: {e.Message.Split(" (Parameter")[0]}");
        }
    }

    private OpenedDatasets OpenData(DataViewImageDataset all, IReadOnlyList<string> classes, Action<string> log)
    {
        if (options.ValidationSet is { } validation)
        {
            var valClasses = CheckColumns(validation.Schema, nameof(InceptionNeXtTrainerOptions.ValidationSet));
            if (!valClasses.SequenceEqual(classes, StringComparer.Ordinal))
                throw new ArgumentException($"{nameof(InceptionNeXtTrainerOptions.ValidationSet)}: its label keys ({Describe(valClasses)}) differ from the training data's " +
                    $"({Describe(classes)}); map both with the same fitted MapValueToKey.", nameof(options));
            var val = new DataViewImageDataset(validation, options.ImageColumnName, options.LabelColumnName, options.ImageFolder, classes);
            if (val.Count == 0) throw new ArgumentException($"{nameof(InceptionNeXtTrainerOptions.ValidationSet)} has no labelled rows.", nameof(options));
            return new OpenedDatasets(all, val, $"{all.Count} training rows, {val.Count} validation rows, {classes.Count} classes");
        }
        var (train, held) = StratifiedSplit.Split(all, options.ValidationFraction, options.Seed);
        if (held.Count == 0 || train.Count < 2)
            throw new ArgumentException($"{all.Count} rows are too few to hold out {options.ValidationFraction:P0} for validation; pass a ValidationSet or more rows.", nameof(options));
        log($"validation: {held.Count} of {all.Count} rows held out ({options.ValidationFraction:P0} per class, seed {options.Seed})");
        return new OpenedDatasets(train, held, $"{all.Count} rows split {train.Count}/{held.Count}, {classes.Count} classes");
    }

    private static string Describe(IReadOnlyList<string> classes) =>
        classes.Count <= 6 ? string.Join(", ", classes) : string.Join(", ", classes.Take(5)) + $", ... {classes.Count} in all";

    private static void Validate(InceptionNeXtTrainerOptions o)
    {
        ArgumentException.ThrowIfNullOrEmpty(o.LabelColumnName, nameof(o.LabelColumnName));
        ArgumentException.ThrowIfNullOrEmpty(o.ImageColumnName, nameof(o.ImageColumnName));
        ArgumentNullException.ThrowIfNull(o.Scorer, nameof(o.Scorer));
        if (!ModelRegistry.Names.Contains(o.Architecture))
            throw new ArgumentOutOfRangeException(nameof(o.Architecture), o.Architecture, $"Unknown architecture; one of: {string.Join(", ", ModelRegistry.Names)}.");
        if (o.PretrainedWeights is { } weights && !File.Exists(weights))
            throw new FileNotFoundException($"{nameof(o.PretrainedWeights)}: no file {weights}.", weights);
        if (o.FreezeStages is < 0 or > 4) throw new ArgumentOutOfRangeException(nameof(o.FreezeStages), o.FreezeStages, "0 to 4.");
        if (o.TimeBudget is null && o.Epochs < 1) throw new ArgumentOutOfRangeException(nameof(o.Epochs), o.Epochs, "At least 1.");
        if (o.TimeBudget is { } budget && budget <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(o.TimeBudget), budget, "Positive.");
        if (o.BatchSize is < 2 or > 1024) throw new ArgumentOutOfRangeException(nameof(o.BatchSize), o.BatchSize, "2 to 1024.");
        if (o.LearningRate is { } lr && !(lr > 0 && lr < 10)) throw new ArgumentOutOfRangeException(nameof(o.LearningRate), lr, "Positive (and below 10).");
        if (o.ImageSize is < 16 or > 2048) throw new ArgumentOutOfRangeException(nameof(o.ImageSize), o.ImageSize, "16 to 2048.");
        if (o.ValidationSet is null && !(o.ValidationFraction > 0 && o.ValidationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(o.ValidationFraction), o.ValidationFraction, "Between 0 and 1 (exclusive).");
        if (o.EarlyStoppingPatience is < 1) throw new ArgumentOutOfRangeException(nameof(o.EarlyStoppingPatience), o.EarlyStoppingPatience, "At least 1 epoch.");
        if (o.Threads is < 1) throw new ArgumentOutOfRangeException(nameof(o.Threads), o.Threads, "At least 1 (null for the cores other processes leave free).");
        if (o.Workers < 1) throw new ArgumentOutOfRangeException(nameof(o.Workers), o.Workers, "At least 1.");
        TrainerSupport.ValidateScorer(o.Scorer);
    }
}
