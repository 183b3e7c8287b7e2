namespace InceptionNeXt.Training.Training;

/// <summary>
/// A training run. Options left null are chosen from the data: images larger than 64 px get the InceptionNeXt / DeiT
/// recipe that timm's train.py runs (RandAugment, mixup 0.8 / cutmix 1.0, erasing 0.25, drop path 0.1, 5 warmup epochs,
/// lr 4e-3 per 4096 images); small images such as Fashion-MNIST get a light one (crop and flip only, no mixup, drop
/// path 0.05, 0.3 warmup epochs, lr 3e-3 per 128 images, crops of 70-100% of the image) that converges in minutes. See <see cref="Resolve"/>.
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
    public double? LrBase { get; init; }
    /// <summary>Reference batch of <see cref="LrBase"/>.</summary>
    public int? LrBaseSize { get; init; }
    /// <summary>Minimum learning rate at the end of the cosine.</summary>
    public double MinLr { get; init; } = 1e-6;
    /// <summary>Learning rate at the start of warmup.</summary>
    public double WarmupLr { get; init; } = 1e-6;
    /// <summary>Warmup length in epochs (a fraction of the budget in time-budget mode).</summary>
    public double? WarmupEpochs { get; init; }
    /// <summary>AdamW weight decay (not applied to biases, norms and layer scales).</summary>
    public double WeightDecay { get; init; } = 0.05;
    /// <summary>Micro-batches per optimizer step.</summary>
    public int GradAccumSteps { get; init; } = 1;
    /// <summary>Gradient-norm clipping (null = off).</summary>
    public double? ClipGrad { get; init; }
    /// <summary>Stochastic depth rate.</summary>
    public double? DropPath { get; init; }
    /// <summary>Mixup alpha (0 = off).</summary>
    public double? Mixup { get; init; }
    /// <summary>CutMix alpha (0 = off).</summary>
    public double? Cutmix { get; init; }
    /// <summary>Label smoothing.</summary>
    public double Smoothing { get; init; } = 0.1;
    /// <summary>RandAugment config string; "" = off, null = chosen from the data.</summary>
    public string? AutoAugment { get; init; }
    /// <summary>Random-erasing probability.</summary>
    public double? ReProb { get; init; }
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
    /// <summary>
    /// libtorch intra-op threads. Null (default): <see cref="DefaultThreads"/>, measured when the run starts, not when
    /// these options are made (a run may start long after, on a machine that is busier or idler by then).
    /// </summary>
    public int? Threads { get; init; }

    /// <summary>
    /// The default <see cref="Threads"/>: the cores that other processes leave free when the run starts (all of them on an
    /// idle machine; on Linux, the cores less the threads already runnable), at most 8. One intra-op thread per core on a
    /// busy machine made libtorch's OpenMP workers spin against the other work, and a step took many times longer
    /// (issue 14); half the cores on an idle 2-core machine halved the speed (684 against 1,322 fitted updates in the
    /// 8-minute Fashion-MNIST run).
    /// </summary>
    public static int DefaultThreads => Math.Clamp(IdleCores.Count(), 1, 8);

    /// <summary>Start a new run in <see cref="Output"/> even when it holds one already (its checkpoints and log are replaced).</summary>
    public bool Force { get; init; }
    /// <summary>
    /// Early stopping: end the run after this many epochs in a row without a better validation top-1 (null = off; best.pth
    /// keeps the best epoch either way).
    /// </summary>
    public int? EarlyStoppingPatience { get; init; }
    /// <summary>Validation fraction when the data has no separate validation set.</summary>
    public double ValidationFraction { get; init; } = 0.1;
    /// <summary>
    /// Fine-tuning: freeze the stem and the first N of the 4 stages (their weights stay as loaded; 4 trains the head only).
    /// </summary>
    public int FreezeStages { get; init; }
    /// <summary>"cpu" or "cuda[:N]".</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>
    /// Feed NHWC (channels-last) batches. Null: only on CUDA. On this project's CPU libtorch the NCHW path measured
    /// faster for these models (BENCHMARKS.md), so CPU training stays NCHW unless asked.
    /// </summary>
    public bool? ChannelsLast { get; init; }

    /// <summary>Fills the options left null with the recipe for the data (<paramref name="smallImages"/>: at most 64 px).</summary>
    public TrainOptions Resolve(bool smallImages) => this with
    {
        LrBase = LrBase ?? (smallImages ? 3e-3 : 4e-3),
        LrBaseSize = LrBaseSize ?? (smallImages ? 128 : 4096),
        WarmupEpochs = WarmupEpochs ?? (smallImages ? 0.3 : 5),
        DropPath = DropPath ?? (smallImages ? 0.05 : 0.1),
        Mixup = Mixup ?? (smallImages ? 0 : 0.8),
        Cutmix = Cutmix ?? (smallImages ? 0 : 1.0),
        ReProb = ReProb ?? (smallImages ? 0 : 0.25),
        AutoAugment = AutoAugment ?? (smallImages ? "" : "rand-m9-mstd0.5-inc1"),
    };
}
