using System.Diagnostics;
using System.Globalization;
using InceptionNeXt.ML.Imaging;
using InceptionNeXt.Training.Data;
using InceptionNeXt.Training.Engine;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;
using InceptionNeXt.Training.Training;
using TorchSharp;
using static TorchSharp.torch;
using ImageClassifier = InceptionNeXt.Training.TorchModels.ImageClassifier;

namespace InceptionNeXt.Training.TorchTraining;

/// <summary>
/// Trains a zoo model (TorchSharp) on an image dataset with the recipe of <see cref="TrainOptions"/>: timm-style
/// augmentation, TorchSharp's AdamW with timm's weight-decay groups and a per-update warmup + cosine
/// (<see cref="CosineLrSchedule"/>), mixup/cutmix with label smoothing, gradient accumulation and clipping, drop path,
/// optional EMA; validates and checkpoints every epoch (last and best, <see cref="TorchTrainingCheckpoint"/>), logs
/// CSV/JSON lines and writes an HTML report. Cancelling stops after the current step and leaves a checkpoint that
/// <see cref="TrainOptions.Resume"/> continues exactly. Every micro-batch runs in its own dispose scope, so no tensor
/// of a step outlives it. <see cref="TrainOptions.ChannelsLast"/>, when set, overrides the engine's channels-last choice.
/// </summary>
public sealed class TorchTrainer
{
    private TrainOptions o;
    private readonly Action<string> log;
    private readonly OpenedDatasets? givenData;

    /// <summary>Creates a trainer; <paramref name="log"/> receives progress lines.</summary>
    /// <exception cref="ArgumentException">Batch size, accumulation steps or epochs out of range.</exception>
    public TorchTrainer(TrainOptions options, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        o = options;
        this.log = log ?? Console.WriteLine;
        if (o.BatchSize < 2) throw new ArgumentException("--batch-size must be at least 2.");
        if (o.GradAccumSteps < 1) throw new ArgumentException("--grad-accum-steps must be at least 1.");
        if (o.TimeBudget is null && o.Epochs < 1) throw new ArgumentException("--epochs must be at least 1.");
    }

    /// <summary>
    /// Creates a trainer on datasets already open (<see cref="TrainOptions.Data"/> then only names them in logs and
    /// reports), as the ML.NET trainer does with the rows of an IDataView.
    /// </summary>
    /// <exception cref="ArgumentException">Batch size, accumulation steps or epochs out of range, or the two sets' classes differ.</exception>
    public TorchTrainer(TrainOptions options, OpenedDatasets data, Action<string>? log = null) : this(options, log)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!data.Train.Classes.SequenceEqual(data.Val.Classes, StringComparer.Ordinal))
            throw new ArgumentException("The training and validation sets must have the same classes in the same order.", nameof(data));
        givenData = data;
    }

    /// <summary>Called after each epoch's validation with that epoch's numbers (as log.csv gets them).</summary>
    public Action<EpochRecord>? OnEpoch { get; init; }

    /// <summary>
    /// Called after every optimizer update (for a progress bar). When set, the periodic progress lines are not sent to
    /// the log; epoch summaries still are.
    /// </summary>
    public Action<TrainingStep>? OnStep { get; init; }

    /// <summary>Runs training to the end, the time budget, or cancellation.</summary>
    public TrainResult Run(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        if (o.EarlyStoppingPatience is < 1) throw new ArgumentException($"--early-stopping must be at least 1 epoch, got {o.EarlyStoppingPatience}.");
        Directory.CreateDirectory(o.Output);
        // One run per folder: an OS lock (released by the kernel when a process dies, so a killed run leaves nothing that blocks).
        using var outputLock = OutputLock.Acquire(o.Output);
        if (o.Resume is null && !o.Force) RefuseExistingRun(o.Output);
        var resumeInfo = o.Resume is null ? null : TorchTrainingCheckpoint.ReadInfo(o.Resume);
        // The default thread count is measured now, as the run starts.
        o = o with { Threads = o.Threads ?? TrainOptions.DefaultThreads };
        TorchEngine.Initialize(TorchEngine.EnsureInitialized() with { Threads = o.Threads });
        var device = ParseDevice(o.Device);
        manual_seed(o.Seed);

        var data = givenData ?? DatasetFactory.Open(o.Data, o.ValidationFraction, o.Seed);
        var classes = data.Train.Classes;
        CheckClasses(data, resumeInfo);
        var small = IsSmall(data.Train);
        o = o.Resolve(small);
        var size = o.ImageSize ?? (small ? 32 : 224);
        log($"data: {data.Description}; {data.Train.Count} train / {data.Val.Count} validation images, {classes.Count} classes");
        log($"threads: {o.Threads} libtorch, {o.Workers} data-loading, on {Environment.ProcessorCount} cores" +
            (TorchEngine.OneDnnMaxCpuIsa is { } isa ? $"; oneDNN capped at {isa}" : ""));

        Func<ModelConfig, ModelConfig> configure = c => c with
        {
            NumClasses = classes.Count,
            // iFormer's stem is fixed (two stride-2 convolutions); a 32 px image still leaves it a 1x1 last stage.
            StemStride = o.StemStride ?? (small && c.Family != ModelFamily.IFormer ? 2 : c.StemStride),
            DropPathRate = o.DropPath!.Value,
        };
        using var model = o.Pretrained is null
            ? TorchModelRegistry.Create(o.Model, configure)
            : TorchModels.PretrainedWeights.Create(o.Model, o.Pretrained, classes.Count, configure, newHead: HasOtherLabels(o.Pretrained, classes));
        model.to(device);
        if (o.ChannelsLast is { } channelsLast) model.UseChannelsLast = channelsLast;
        Freeze(model);
        var configJson = model.Config.ToJson();
        using var ema = o.ModelEma ? CreateEma(model, device) : null;

        var train = new TrainTransform(new TrainTransformOptions
        {
            ImageSize = size,
            // Small images lose too much to 8%-area crops in a short run (measured on Fashion-MNIST: 86.6% -> 88.9% in 8 min).
            Scale = small ? (0.7, 1.0) : (0.08, 1.0),
            AutoAugment = string.IsNullOrEmpty(o.AutoAugment) ? null : o.AutoAugment,
            ReProb = o.ReProb!.Value,
        });
        var eval = new EvalTransform(new PreprocessOptions { InputSize = size, CropPct = small ? 1.0 : 0.875 });
        using var loader = new DataLoader(data.Train, train, new DataLoaderOptions
        {
            BatchSize = o.BatchSize, Shuffle = true, DropLast = true, Workers = o.Workers, Seed = o.Seed,
        });
        var microSteps = loader.BatchesPerEpoch;
        if (microSteps < o.GradAccumSteps)
            throw new ArgumentException($"{data.Train.Count} training images make {microSteps} batches of {o.BatchSize}; fewer than --grad-accum-steps.");
        var updatesPerEpoch = microSteps / o.GradAccumSteps;
        var globalBatch = o.BatchSize * o.GradAccumSteps;
        var lr = o.Lr ?? LrScaling.Scale(o.LrBase!.Value, globalBatch, LrScaleRule.Linear, o.LrBaseSize!.Value);
        log(string.Create(CultureInfo.InvariantCulture,
            $"recipe: {size} px, lr {lr:E2} (batch {globalBatch}), warmup {o.WarmupEpochs} epochs, RandAugment {(string.IsNullOrEmpty(o.AutoAugment) ? "off" : o.AutoAugment)}, mixup {o.Mixup} / cutmix {o.Cutmix}, smoothing {o.Smoothing}, erasing {o.ReProb}, drop path {o.DropPath}"));
        using var optimizer = TorchOptimizers.AdamW(model, lr, o.WeightDecay);
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        var mixup = (o.Mixup > 0 || o.Cutmix > 0) && o.BatchSize % 2 == 0
            ? new Mixup(new MixupOptions(classes.Count, o.Mixup!.Value, o.Cutmix!.Value, LabelSmoothing: o.Smoothing))
            : null;

        // Epoch mode: a per-update cosine over the epochs. Time-budget mode: fitted after timing the first updates; a resumed
        // time-budget run keeps the checkpoint's budget, time spent and fitted schedule (or fits it, if saved before that).
        var budgetEnd = resumeInfo?.TimeBudget?.Budget ?? o.TimeBudget;
        if (resumeInfo?.TimeBudget is { } savedBudget && o.TimeBudget is { } askedBudget && askedBudget != savedBudget.Budget)
            log($"warning: --time-budget {askedBudget} ignored: the resumed run keeps its budget of {savedBudget.Budget} ({savedBudget.Elapsed:hh\\:mm\\:ss} spent)");
        var elapsedBefore = resumeInfo?.TimeBudget?.Elapsed ?? TimeSpan.Zero;
        var plannedEpochs = budgetEnd is null ? o.Epochs : int.MaxValue;
        var schedule = budgetEnd is null
            ? new CosineLrSchedule(lr, (long)o.Epochs * updatesPerEpoch, o.MinLr, (long)(o.WarmupEpochs!.Value * updatesPerEpoch), o.WarmupLr)
            : resumeInfo?.TimeBudget is { Fitted: true } ? resumeInfo.Schedule : null;
        if (budgetEnd is null || resumeInfo is null) schedule?.Apply(optimizer, 0);
        else if (schedule is null) TorchOptimizers.SetLearningRate(optimizer, o.WarmupLr);

        var startEpoch = 0;
        var startPosition = 0L;
        double best = double.NegativeInfinity;
        long globalStep = 0;
        if (o.Resume is not null)
        {
            var info = TorchTrainingCheckpoint.Load(o.Resume, model, optimizer, budgetEnd is null ? schedule : null, ema, configJson);
            startEpoch = (int)info.Progress.Epoch;
            startPosition = info.Progress.DataPosition;
            globalStep = info.Progress.GlobalStep;
            best = info.Progress.BestMetric ?? double.NegativeInfinity;
            // The optimizer continues at the schedule's rate for the next update (the fitted warmup if not fitted yet).
            if (schedule is not null) schedule.Apply(optimizer, globalStep);
            else TorchOptimizers.SetLearningRate(optimizer, o.WarmupLr);
            var budgetNote = budgetEnd is { } b
                ? string.Create(CultureInfo.InvariantCulture, $", time budget {b} ({elapsedBefore.TotalSeconds:F0} s spent), ") +
                  (schedule is null ? "schedule to be fitted" : $"schedule {schedule.TInitial} updates, warmup {schedule.WarmupT}")
                : "";
            log($"resumed {o.Resume}: epoch {startEpoch + 1}, update {globalStep}{budgetNote}");
        }
        var resumeStep = globalStep;

        var history = new TrainingLog(o.Output, append: o.Resume is not null, keepThroughEpoch: o.Resume is null ? null : startEpoch);
        var last = Path.Combine(o.Output, "last.pth");
        EvaluationResult? lastEval = null;
        var stopped = false;
        var epoch = startEpoch;
        var epochsSinceBest = 0;
        var trainTimer = new Stopwatch();
        var lastSaveSeconds = 0.0;
        var calibration = new Stopwatch();
        var sinceStart = Stopwatch.StartNew();
        TimeSpan Elapsed() => elapsedBefore + clock.Elapsed;
        TimeBudgetState? BudgetState() => budgetEnd is { } total ? new TimeBudgetState(total, Elapsed(), schedule is not null) : null;
        void SaveStopped(int position)
        {
            TorchTrainingCheckpoint.Save(last, model, optimizer, schedule, ema,
                new TrainingProgress(epoch, globalStep, double.IsFinite(best) ? best : null, o.Seed, position), configJson, classes, Args(size, small), BudgetState());
            log($"stopped at epoch {epoch + 1}, batch {position}: resumable checkpoint {last}");
        }
        model.train();

        for (; epoch < plannedEpochs && !stopped; epoch++)
        {
            double lossSum = 0;
            long images = 0;
            var micro = 0;
            var skippedBefore = loader.SkippedCount;
            var stepAtEpochStart = globalStep;
            trainTimer.Restart();
            if (cancellationToken.IsCancellationRequested)
            {
                // Stopped between epochs (during validation or the save): resume at the start of this epoch.
                stopped = true;
                SaveStopped((int)startPosition);
                break;
            }
            foreach (var batch in CancellableEpoch(loader, epoch, cancellationToken))
            {
                if (micro < startPosition) { micro++; continue; }
                using (NewDisposeScope())
                {
                    var (x, y) = batch.ToTorchTensors(device);
                    Tensor loss;
                    if (mixup is not null && batch.Count % 2 == 0)
                    {
                        var mixed = mixup.Apply(x, y, new Random(RandomExtensions.MixSeed(o.Seed, epoch, micro, 0x61)));
                        loss = TorchLosses.SoftTargetCrossEntropy(model.call(mixed.Images), mixed.Targets);
                    }
                    else loss = TorchLosses.CrossEntropy(model.call(x), y, o.Smoothing);
                    var value = loss.item<float>();
                    if (!float.IsFinite(value)) throw new InvalidOperationException($"The loss became {value} at epoch {epoch + 1}; lower --lr.");
                    (o.GradAccumSteps > 1 ? loss / o.GradAccumSteps : loss).backward();
                    lossSum += value * batch.Count;
                    images += batch.Count;
                }
                micro++;
                if (micro % o.GradAccumSteps != 0) continue;
                if (schedule is null)
                {
                    // Time budget: fit the schedule to the budget once the first updates (of this process) are timed:
                    // updates 5 to 20 after start-up (JIT, first allocations), or fewer when they take more than
                    // CalibrationShare of the budget.
                    var local = globalStep - resumeStep;
                    if (local == CalibrationSkip) calibration.Restart();
                    var timed = local - CalibrationSkip;
                    if (local >= CalibrationSkip + CalibrationUpdates || Elapsed().TotalSeconds >= budgetEnd!.Value.TotalSeconds * CalibrationShare)
                    {
                        var perUpdate = timed >= 1 ? calibration.Elapsed.TotalSeconds / timed : sinceStart.Elapsed.TotalSeconds / Math.Max(1, local);
                        var fit = FitBudget(budgetEnd!.Value, Elapsed(), perUpdate, globalStep, updatesPerEpoch, o.WarmupEpochs!.Value);
                        schedule = new CosineLrSchedule(lr, fit.Total, o.MinLr, fit.Warmup, o.WarmupLr);
                        log(string.Create(CultureInfo.InvariantCulture,
                            $"time budget {budgetEnd.Value}: about {fit.Total} updates ({fit.Total / (double)updatesPerEpoch:F1} epochs), warmup {fit.Warmup}"));
                        if (fit.Warning is not null) log("warning: " + fit.Warning);
                    }
                    else TorchOptimizers.SetLearningRate(optimizer, o.WarmupLr); // the fitted warmup continues from here
                }
                using (NewDisposeScope())
                {
                    if (o.ClipGrad is { } clip) nn.utils.clip_grad_norm_(trainable, clip);
                    optimizer.step();
                    optimizer.zero_grad();
                }
                globalStep++;
                ema?.Update();
                TorchEngine.EndStep();
                schedule?.StepUpdate(optimizer, globalStep);
                var rate = CosineLrSchedule.CurrentRate(optimizer);
                OnStep?.Invoke(new TrainingStep(epoch + 1, micro, microSteps, lossSum / Math.Max(1, images), rate,
                    images / Math.Max(1e-9, trainTimer.Elapsed.TotalSeconds), clock.Elapsed, budgetEnd));
                if (OnStep is null && globalStep % 25 == 0)
                    log(string.Create(CultureInfo.InvariantCulture,
                        $"epoch {epoch + 1} [{micro}/{microSteps}] loss {lossSum / Math.Max(1, images):F4} lr {rate:E2} {images / trainTimer.Elapsed.TotalSeconds:F0} img/s"));
                var scheduleDone = budgetEnd is not null && schedule is not null && globalStep >= schedule.EndT;
                if (cancellationToken.IsCancellationRequested || scheduleDone || (budgetEnd is { } end && Elapsed() >= end))
                {
                    stopped = cancellationToken.IsCancellationRequested;
                    if (stopped) SaveStopped(micro);
                    break;
                }
            }
            if (!stopped && cancellationToken.IsCancellationRequested)
            {
                // Cancelled while the loader was between batches: resume from the batches done.
                stopped = true;
                SaveStopped(micro);
            }
            startPosition = 0;
            var trainSeconds = trainTimer.Elapsed.TotalSeconds;
            if (stopped) break;
            ReportSkipped(loader, epoch);

            var validationTimer = Stopwatch.StartNew();
            lastEval = TorchEvaluator.Evaluate(model, data.Val, eval, o.BatchSize, o.Workers, device);
            double? emaTop1 = ema is null ? null : TorchEvaluator.Evaluate((ImageClassifier)ema.Module, data.Val, eval, o.BatchSize, o.Workers, device).Top1;
            if (budgetEnd is { } budget && schedule is not null && globalStep - stepAtEpochStart >= MinRefitUpdates)
                schedule = Refit(schedule, optimizer, budget, Elapsed(), trainSeconds / (globalStep - stepAtEpochStart),
                    validationTimer.Elapsed.TotalSeconds + lastSaveSeconds, globalStep, updatesPerEpoch);
            var record = new EpochRecord(epoch + 1, lossSum / Math.Max(1, images), CosineLrSchedule.CurrentRate(optimizer), images / Math.Max(1e-9, trainSeconds),
                lastEval.Top1, lastEval.Top5, lastEval.Loss, emaTop1, loader.SkippedCount - skippedBefore, Elapsed().TotalSeconds);
            history.Add(record);
            OnEpoch?.Invoke(record);
            log(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch + 1}: train loss {record.TrainLoss:F4}, val top-1 {lastEval.Top1:F2}% top-5 {lastEval.Top5:F2}%{(emaTop1 is { } e ? $", EMA top-1 {e:F2}%" : "")}, {record.ImagesPerSecond:F0} img/s, skipped {record.Skipped}"));
            var improved = lastEval.Top1 > best;
            if (improved) best = lastEval.Top1;
            epochsSinceBest = improved ? 0 : epochsSinceBest + 1;
            var saveTimer = Stopwatch.StartNew();
            TorchTrainingCheckpoint.Save(last, model, optimizer, schedule, ema,
                new TrainingProgress(epoch + 1, globalStep, best, o.Seed, 0), configJson, classes, Args(size, small), BudgetState());
            if (improved) CopyAtomically(last, Path.Combine(o.Output, "best.pth"));
            HtmlReport.Write(Path.Combine(o.Output, "report.html"), $"{o.Model} on {o.Data}", history.Records, classes, lastEval.PerClass, Settings(lr, size));
            lastSaveSeconds = saveTimer.Elapsed.TotalSeconds;
            if (budgetEnd is { } limit && (Elapsed() >= limit || (schedule is not null && globalStep >= schedule.EndT))) { epoch++; break; }
            if (o.EarlyStoppingPatience is { } patience && epochsSinceBest >= patience)
            {
                log(string.Create(CultureInfo.InvariantCulture, $"early stopping: validation top-1 has not improved on {best:F2}% for {patience} epoch(s)"));
                epoch++;
                break;
            }
        }

        if (stopped && lastEval is null)
        {
            log($"stopped before the first validation; resume with --resume {last}");
            return new TrainResult(double.IsFinite(best) ? best : 0, new EvaluationResult(0, 0, 0, 0, [], 0), epoch - startEpoch, stopped, last);
        }
        lastEval ??= TorchEvaluator.Evaluate(model, data.Val, eval, o.BatchSize, o.Workers, device);
        log(string.Create(CultureInfo.InvariantCulture, $"top-1: {lastEval.Top1:F2}% (top-5 {lastEval.Top5:F2}%, best {Math.Max(best, lastEval.Top1):F2}%) on {lastEval.Count} validation images"));
        return new TrainResult(Math.Max(best, lastEval.Top1), lastEval, epoch - startEpoch, stopped, last);
    }

    /// <summary>
    /// "cpu" or "cuda[:N]" as a TorchSharp device, refusing CUDA where this libtorch has none (the CPU package is the
    /// default backend; README "Training on a GPU").
    /// </summary>
    /// <exception cref="ArgumentException">Not a device name, or CUDA is not available.</exception>
    public static Device ParseDevice(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var lower = name.Trim().ToLowerInvariant();
        if (lower == "cpu") return CPU;
        if (lower == "cuda" || lower.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new ArgumentException($"--device {name}: this libtorch has no usable CUDA; reference TorchSharp's CUDA backend (README, \"Training on a GPU\") or use --device cpu.");
            return device(lower);
        }
        throw new ArgumentException($"Unknown device '{name}'; use cpu or cuda[:N].");
    }

    // iFormer names its stages patch_embed (the stem) / pos_embedN / blocksN / patch_embedN (N = 2..4) instead of stem / stages.N.
    private bool InFrozenPart(ImageClassifier model, string name) => model is IFormerModel
        ? name.StartsWith("patch_embed.", StringComparison.Ordinal) || Enumerable.Range(1, o.FreezeStages).Any(n =>
            name.StartsWith($"blocks{n}.", StringComparison.Ordinal) || name == $"pos_embed{n}" || name.StartsWith($"patch_embed{n}.", StringComparison.Ordinal))
        : name.StartsWith("stem.", StringComparison.Ordinal) || Enumerable.Range(0, o.FreezeStages).Any(i =>
            name.StartsWith(model.Config.Isotropic ? "blocks." : $"stages.{i}.", StringComparison.Ordinal));

    // Fine-tuning: the stem and the first FreezeStages stages keep their loaded weights (no gradients, left out of the optimizer).
    private void Freeze(ImageClassifier model)
    {
        if (o.FreezeStages is < 0 or > 4) throw new ArgumentException($"--freeze-stages must be 0 to 4, got {o.FreezeStages}.");
        if (o.FreezeStages == 0) return;
        // Isotropic models have one stage, their blocks: --freeze-stages 1 freezes everything up to the head.
        if (o.FreezeStages > model.Config.Depths.Length)
            throw new ArgumentException($"--freeze-stages {o.FreezeStages}: {model.Config.Name} has {model.Config.Depths.Length} stage(s).");
        var frozen = 0L;
        foreach (var (name, p) in model.named_parameters())
            if (InFrozenPart(model, name))
            {
                p.requires_grad = false;
                frozen += p.numel();
            }
        log($"frozen: stem and stages 0-{o.FreezeStages - 1} ({frozen:N0} parameters)");
    }

    private static TorchModelEma CreateEma(ImageClassifier model, Device device)
    {
        var copy = TorchModelRegistry.Create(model.Config);
        try
        {
            copy.to(device);
            copy.UseChannelsLast = model.UseChannelsLast;
            return new TorchModelEma(model, copy);
        }
        catch
        {
            copy.Dispose();
            throw;
        }
    }

    /// <summary>The registry name and evaluation preprocessing stored with each checkpoint, so `validate` and export reproduce them.</summary>
    private Dictionary<string, object?> Args(int size, bool small) => new()
    {
        ["model"] = o.Model,
        ["image_size"] = (long)size,
        ["crop_pct"] = small ? 1.0 : 0.875,
    };

    private Dictionary<string, string> Settings(double lr, int size) => new()
    {
        ["model"] = o.Model, ["data"] = o.Data, ["image size"] = size.ToString(CultureInfo.InvariantCulture),
        ["batch"] = $"{o.BatchSize} x {o.GradAccumSteps}", ["lr"] = lr.ToString("E3", CultureInfo.InvariantCulture),
        ["epochs"] = o.TimeBudget is { } t ? $"time budget {t}" : o.Epochs.ToString(CultureInfo.InvariantCulture),
        ["augmentation"] = $"RandomResizedCrop, flip, {(string.IsNullOrEmpty(o.AutoAugment) ? "colour jitter" : o.AutoAugment)}, erasing {o.ReProb}",
        ["mixup / cutmix / smoothing"] = string.Create(CultureInfo.InvariantCulture, $"{o.Mixup} / {o.Cutmix} / {o.Smoothing}"),
        ["drop path"] = o.DropPath?.ToString(CultureInfo.InvariantCulture) ?? "", ["EMA"] = o.ModelEma ? o.ModelEmaDecay.ToString(CultureInfo.InvariantCulture) : "off",
        ["seed"] = o.Seed.ToString(CultureInfo.InvariantCulture), ["engine"] = "TorchSharp",
    };

    /// <summary>
    /// Whether a training checkpoint was trained on other labels than <paramref name="classes"/>: its classifier then
    /// means other classes even when the count matches, so fine-tuning starts from a fresh one.
    /// </summary>
    private static bool HasOtherLabels(string pretrained, IReadOnlyList<string> classes)
    {
        if (Checkpoints.Checkpoint.DetectFormat(pretrained) != Checkpoints.Checkpoint.Format.PyTorchZip) return false;
        try
        {
            return TorchTrainingCheckpoint.ReadInfo(pretrained).ClassLabels is { } labels && !labels.SequenceEqual(classes);
        }
        catch (InvalidDataException)
        {
            return false; // not one of our training checkpoints (official weights): only the class count decides
        }
    }

    private static bool IsSmall(IImageDataset dataset)
    {
        for (var i = 0; i < Math.Min(8, dataset.Count); i++)
        {
            try
            {
                var image = dataset.Load(i);
                return Math.Max(image.Width, image.Height) <= 64;
            }
            catch (Exception e) when (e is IOException or InvalidDataException)
            {
                // An unreadable sample says nothing about the size; look at the next.
            }
        }
        return false;
    }

    /// <summary>Updates of a time-budget run (after start-up or resume) before its per-update time is measured.</summary>
    internal const int CalibrationSkip = 5;

    /// <summary>Updates timed to fit a time-budget schedule.</summary>
    internal const int CalibrationUpdates = 15;

    /// <summary>The share of a time budget after which the schedule is fitted even if fewer updates were timed (a slow model or a short budget).</summary>
    internal const double CalibrationShare = 0.15;

    /// <summary>The largest share of a fitted time-budget schedule spent warming up.</summary>
    internal const double MaxWarmupShare = 0.2;

    /// <summary>The share of a time budget kept for validation and checkpoints.</summary>
    internal const double ValidationReserve = 0.08;

    /// <summary>An epoch with fewer updates than this does not time a refit of a time-budget schedule.</summary>
    internal const int MinRefitUpdates = 10;

    // A time-budget run's schedule refitted to the speed of the epoch just done (TimeBudgetRefit), logged when it changes.
    private CosineLrSchedule Refit(CosineLrSchedule schedule, TorchSharp.torch.optim.Optimizer optimizer, TimeSpan budget, TimeSpan elapsed,
        double secondsPerUpdate, double secondsPerValidation, long globalStep, long updatesPerEpoch)
    {
        var total = TimeBudgetRefit.SnapToEpochEnd(
            globalStep + TimeBudgetRefit.RemainingUpdates(budget, elapsed, secondsPerUpdate, secondsPerValidation, updatesPerEpoch), globalStep, updatesPerEpoch);
        if (!TimeBudgetRefit.Worthwhile(schedule, globalStep, total)) return schedule;
        var refitted = TimeBudgetRefit.Continue(schedule, globalStep, total);
        if (ReferenceEquals(refitted, schedule)) return schedule;
        refitted.Apply(optimizer, globalStep);
        log(string.Create(CultureInfo.InvariantCulture,
            $"time budget {budget}: refitted to about {total} updates ({total / (double)updatesPerEpoch:F1} epochs) at {secondsPerUpdate:F3} s per update and {secondsPerValidation:F1} s per validation (was {schedule.EndT})"));
        return refitted;
    }

    /// <summary>Fewer fitted updates than this get a warning that the budget is too short.</summary>
    internal const long MinMeaningfulUpdates = 100;

    /// <summary>
    /// The schedule of a time-budget run: the updates that fit in what is left of <paramref name="budget"/> (less
    /// <see cref="ValidationReserve"/>) at <paramref name="secondsPerUpdate"/>, a warmup of <paramref name="warmupEpochs"/>
    /// capped at <see cref="MaxWarmupShare"/> of them, and a warning when they are fewer than <see cref="MinMeaningfulUpdates"/>.
    /// </summary>
    internal static (long Total, long Warmup, string? Warning) FitBudget(TimeSpan budget, TimeSpan elapsed, double secondsPerUpdate, long globalStep,
        long updatesPerEpoch, double warmupEpochs)
    {
        var remaining = budget.TotalSeconds * (1 - ValidationReserve) - elapsed.TotalSeconds;
        var total = (long)Math.Max(globalStep + 1, globalStep + remaining / Math.Max(1e-9, secondsPerUpdate));
        var warmup = (long)Math.Min(total * MaxWarmupShare, warmupEpochs * updatesPerEpoch);
        var warning = total >= MinMeaningfulUpdates ? null : string.Create(CultureInfo.InvariantCulture,
            $"--time-budget {budget} leaves time for only about {total} updates ({total / (double)Math.Max(1, updatesPerEpoch):F1} epochs at {secondsPerUpdate:F2} s each), too few to train a useful model; give a longer budget, or use a smaller model, batch or --image-size.");
        return (total, warmup, warning);
    }

    // An epoch's batches that end (instead of throwing) when the run is cancelled while the loader waits for a batch.
    private static IEnumerable<Batch> CancellableEpoch(DataLoader loader, int epoch, CancellationToken token)
    {
        using var e = loader.GetEpoch(epoch, token).GetEnumerator();
        while (true)
        {
            bool more;
            try
            {
                more = e.MoveNext();
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                more = false;
            }
            if (!more) yield break;
            yield return e.Current;
        }
    }

    /// <summary>The files a training run writes to its output folder, which a new run there would replace.</summary>
    internal static readonly string[] RunFiles = ["last.pth", "best.pth", "log.csv", "log.jsonl"];

    // A new run (no --resume) does not replace another run's checkpoints and log unless forced.
    private static void RefuseExistingRun(string folder)
    {
        var existing = RunFiles.Where(f => File.Exists(Path.Combine(folder, f))).ToList();
        if (existing.Count > 0)
            throw new IOException($"--output {folder} already holds a training run ({string.Join(", ", existing)}); continue it with --resume {Path.Combine(folder, "last.pth")}, choose another --output, or pass --force to replace it.");
    }

    // At least two classes, each with training images; on resume, the checkpoint's classes.
    private void CheckClasses(OpenedDatasets data, TrainingCheckpointInfo? resume)
    {
        var classes = data.Train.Classes;
        if (classes.Count < 2)
            throw new ArgumentException($"--data {o.Data} has {classes.Count} class{(classes.Count == 1 ? $" ('{classes[0]}')" : "es")}; a classifier needs at least two (one subfolder per class).");
        var counts = new int[classes.Count];
        for (var i = 0; i < data.Train.Count; i++)
        {
            var label = data.Train.GetLabel(i);
            if ((uint)label < (uint)counts.Length) counts[label]++;
        }
        var empty = classes.Where((_, i) => counts[i] == 0).ToList();
        if (empty.Count > 0)
            throw new ArgumentException($"--data {o.Data}: class{(empty.Count > 1 ? "es" : "")} {string.Join(", ", empty.Select(c => $"'{c}'"))} ha{(empty.Count > 1 ? "ve" : "s")} no training images; add images or remove the folder{(empty.Count > 1 ? "s" : "")}.");
        if (resume?.ClassLabels is { } saved && !saved.SequenceEqual(classes, StringComparer.Ordinal))
        {
            var onlySaved = saved.Except(classes, StringComparer.Ordinal).ToList();
            var onlyData = classes.Except(saved, StringComparer.Ordinal).ToList();
            var difference = onlySaved.Count + onlyData.Count == 0
                ? "the same classes in another order"
                : string.Join("; ", new[]
                {
                    onlySaved.Count > 0 ? "only in the checkpoint: " + string.Join(", ", onlySaved) : null,
                    onlyData.Count > 0 ? "only in the data: " + string.Join(", ", onlyData) : null,
                }.Where(x => x is not null));
            throw new ArgumentException($"--resume {o.Resume} was trained on other classes than --data {o.Data} ({difference}); resume with the same data, or start a new run with --pretrained {o.Resume}.");
        }
    }

    /// <summary>How many skipped file names an epoch's log line shows (skipped.txt in the output folder lists them all).</summary>
    internal const int SkippedNamesShown = 5;

    // Names the images skipped as unreadable in an epoch: a few in the log, all of them in skipped.txt.
    private void ReportSkipped(DataLoader loader, int epoch)
    {
        var skipped = loader.SkippedInEpoch(epoch);
        if (skipped.Count == 0) return;
        var file = Path.Combine(o.Output, "skipped.txt");
        File.AppendAllLines(file, skipped.Select(x => $"epoch {epoch + 1}	{x.Name}	{x.Reason.ReplaceLineEndings(" ")}"));
        var names = skipped.Select(x => x.Name).Distinct(StringComparer.Ordinal).ToList();
        log($"skipped {skipped.Count} unreadable image(s) in epoch {epoch + 1}: {string.Join(", ", names.Take(SkippedNamesShown))}" +
            (names.Count > SkippedNamesShown ? $" and {names.Count - SkippedNamesShown} more" : "") + $" (all listed in {file})");
    }

    private static void CopyAtomically(string source, string destination)
    {
        // The same temporary name, rename and clean-up on failure (a full disk) as every other file the run writes.
        InceptionNeXt.ML.IO.AtomicFile.Write(destination, target =>
        {
            using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            input.CopyTo(target);
        });
    }
}
