using InceptionNeXt.ML.MLNet;
using InceptionNeXt.Training.Training;
using Microsoft.ML;

namespace InceptionNeXt.Training.MLNet;

/// <summary>
/// Settings of <c>mlContext.MulticlassClassification.Trainers.InceptionNeXt</c>. Defaults are those of
/// <c>inceptionnext train</c>: options left null are chosen from the data (the recipe of <see cref="TrainOptions"/>).
/// </summary>
public sealed class InceptionNeXtTrainerOptions
{
    /// <summary>The key label column (default <c>Label</c>); its key values name the classes.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>
    /// The image column (default <c>ImagePath</c>, as <c>LoadFromImageFolder</c> gives): file paths (text), encoded
    /// JPEG/PNG bytes (a byte vector) or <c>MLImage</c>. Paths are read from disk on every epoch; bytes and images are
    /// held in memory for the run.
    /// </summary>
    public string ImageColumnName { get; set; } = "ImagePath";

    /// <summary>The folder relative paths are under, in training and in the fitted transformer; null: as given.</summary>
    public string? ImageFolder { get; set; }

    /// <summary>The architecture, a name from <c>inceptionnext models</c> (default <c>inceptionnext_atto</c>).</summary>
    public string Architecture { get; set; } = "inceptionnext_atto";

    /// <summary>
    /// Weights to start from: a timm .pth/.safetensors file or a training checkpoint (a new classifier when its classes
    /// differ). Null trains from scratch.
    /// </summary>
    public string? PretrainedWeights { get; set; }

    /// <summary>Freeze the stem and the first N of the 4 stages (0 to 4; 4 trains the classifier only). Default 0.</summary>
    public int FreezeStages { get; set; }

    /// <summary>Epochs (default 10); ignored when <see cref="TimeBudget"/> is set.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>Train for this long instead, with the schedule fitted to it. Default null (use <see cref="Epochs"/>).</summary>
    public TimeSpan? TimeBudget { get; set; }

    /// <summary>Images per step (default 32).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Peak learning rate; null scales the recipe's rate to <see cref="BatchSize"/>.</summary>
    public double? LearningRate { get; set; }

    /// <summary>Square training and inference size in pixels; null: 32 for images of at most 64 px, else 224.</summary>
    public int? ImageSize { get; set; }

    /// <summary>
    /// Rows to validate on after each epoch, with the same columns and the same label keys as the training data (map both
    /// with one fitted <c>MapValueToKey</c>). Null: <see cref="ValidationFraction"/> of the training rows, split per class.
    /// </summary>
    public IDataView? ValidationSet { get; set; }

    /// <summary>The share of the training rows held out for validation when <see cref="ValidationSet"/> is null (default 0.1).</summary>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>Stop after this many epochs without a better validation top-1; null (default) trains to the end.</summary>
    public int? EarlyStoppingPatience { get; set; }

    /// <summary>Called after each epoch with its loss, learning rate, speed and validation accuracy.</summary>
    public Action<EpochRecord>? MetricsCallback { get; set; }

    /// <summary>Called after each optimizer update (for a progress bar).</summary>
    public Action<TrainingStep>? ProgressCallback { get; set; }

    /// <summary>
    /// Where checkpoints (last.pth, best.pth), log.csv and report.html go; they stay after <c>Fit</c>. Null: a temporary
    /// folder, deleted when <c>Fit</c> returns.
    /// </summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>Seed of the split, data order, augmentation and initialisation (default 42).</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Training device: <c>cpu</c> (default) or <c>cuda[:N]</c> with TorchSharp's CUDA backend referenced.</summary>
    public string Device { get; set; } = "cpu";

    /// <summary>
    /// libtorch intra-op threads. Null (default): <see cref="TrainOptions.DefaultThreads"/>, the cores other processes
    /// leave free (at most 8), measured when <c>Fit</c> starts, as ML.NET's <c>NumberOfThreads</c> options decide late.
    /// </summary>
    public int? Threads { get; set; }

    /// <summary>Image decoding and augmentation threads (default: half the cores, at least 1).</summary>
    public int Workers { get; set; } = Math.Max(1, Environment.ProcessorCount / 2);

    /// <summary>
    /// Settings of the fitted transformer (output column names, batch size, ONNX Runtime device, unreadable images);
    /// its <see cref="InceptionNeXtImageOptions.ImageFolder"/> is replaced by <see cref="ImageFolder"/>.
    /// </summary>
    public InceptionNeXtScorerOptions Scorer { get; set; } = new();
}
