namespace InceptionNeXt.Training.Training;

/// <summary>
/// A training run. Defaults follow the InceptionNeXt / DeiT recipe that timm's train.py runs (AdamW, cosine with warmup,
/// RandAugment, mixup/cutmix, label smoothing, random erasing, drop path), scaled down where a small dataset needs it.
/// </summary>
public sealed record TrainOptions
{
    /// <summary>Dataset: an IDX folder, an ImageNet layout (train/ and val/) or one folder per class.</summary>
    public required string Data { get; init; }
    /// <summary>Model name from the registry.</summary>
    public required string Model { get; init; }
    /// <summary>Output folder for checkpoints, log and report.</summary>
    public required string Output { get; init; }
    /// <summary>Epochs (ignored when <see cref="TimeBudget"/> is set).</summary>
    public int Epochs { get; init; } = 10;
    /// <summary>Train for this long instead of a number of epochs (the schedule is fitted to the budget).</summary>
    public TimeSpan? TimeBudget { get; init; }
    /// <summary>Images per optimizer micro-step.</summary>
    public int BatchSize { get; init; } = 128;
    /// <summary>Absolute learning rate; when null it is <see cref="LrBase"/> scaled from <see cref="LrBaseSize"/> to the global batch.</summary>
    public double? Lr { get; init; }
    /// <summary>Learning rate for a global batch of <see cref="LrBaseSize"/> (the InceptionNeXt recipe: 4e-3 at 4096).</summary>
    public double LrBase { get; init; } = 4e-3;
    /// <summary>Reference batch of <see cref="LrBase"/>.</summary>
    public int LrBaseSize { get; init; } = 4096;
    /// <summary>Minimum learning rate at the end of the cosine.</summary>
    public double MinLr { get; init; } = 1e-6;
    /// <summary>Learning rate at the start of warmup.</summary>
    public double WarmupLr { get; init; } = 1e-6;
    /// <summary>Warmup length in epochs (a fraction of the budget in time-budget mode).</summary>
    public double WarmupEpochs { get; init; } = 5;
    /// <summary>AdamW weight decay (not applied to biases, norms and layer scales).</summary>
    public double WeightDecay { get; init; } = 0.05;
    /// <summary>Micro-batches per optimizer step.</summary>
    public int GradAccumSteps { get; init; } = 1;
    /// <summary>Gradient-norm clipping (null = off).</summary>
    public double? ClipGrad { get; init; }
    /// <summary>Stochastic depth rate.</summary>
    public double DropPath { get; init; } = 0.1;
    /// <summary>Mixup alpha (0 = off).</summary>
    public double Mixup { get; init; } = 0.8;
    /// <summary>CutMix alpha (0 = off).</summary>
    public double Cutmix { get; init; } = 1.0;
    /// <summary>Label smoothing.</summary>
    public double Smoothing { get; init; } = 0.1;
    /// <summary>RandAugment config string (null or "" = off).</summary>
    public string? AutoAugment { get; init; } = "rand-m9-mstd0.5-inc1";
    /// <summary>Random-erasing probability.</summary>
    public double ReProb { get; init; } = 0.25;
    /// <summary>Keep an exponential moving average of the weights and validate it too.</summary>
    public bool ModelEma { get; init; }
    /// <summary>EMA decay.</summary>
    public double ModelEmaDecay { get; init; } = 0.9998;
    /// <summary>Start from these weights (a new head when the class count differs).</summary>
    public string? Pretrained { get; init; }
    /// <summary>Square training size (default: 32 for images of at most 64 px, else 224).</summary>
    public int? ImageSize { get; init; }
    /// <summary>Stem stride (default: 2 for images of at most 64 px, else the model's 4).</summary>
    public int? StemStride { get; init; }
    /// <summary>Continue from a training checkpoint.</summary>
    public string? Resume { get; init; }
    /// <summary>Seed of data order, augmentation and initialisation.</summary>
    public int Seed { get; init; } = 42;
    /// <summary>Data-loading worker threads.</summary>
    public int Workers { get; init; } = Math.Max(1, Environment.ProcessorCount / 2);
    /// <summary>libtorch intra-op threads.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;
    /// <summary>Validation fraction when the data has no separate validation set.</summary>
    public double ValidationFraction { get; init; } = 0.1;
    /// <summary>"cpu" or "cuda[:N]".</summary>
    public string Device { get; init; } = "cpu";
}
