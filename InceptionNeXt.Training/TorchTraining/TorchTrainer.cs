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
        TorchEngine.Initialize(TorchEngine.EnsureInitialized() with { Threads = o.Threads });
        var device = ParseDevice(o.Device);
        manual_seed(o.Seed);
        Directory.CreateDirectory(o.Output);

        if (o.EarlyStoppingPatience is < 1) throw new ArgumentException($"--early-stopping must be at least 1 epoch, got {o.EarlyStoppingPatience}.");
        var data = givenData ?? DatasetFactory.Open(o.Data, o.ValidationFraction, o.Seed);
        var classes = data.Train.Classes;
        var small = IsSmall(data.Train);
        o = o.Resolve(small);
        var size = o.ImageSize ?? (small ? 32 : 224);
        log($"data: {data.Description}; {data.Train.Count} train / {data.Val.Count} validation images, {classes.Count} classes");

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

        // Epoch mode: a per-update cosine over the epochs. Time-budget mode: fitted after timing the first updates.
        var plannedEpochs = o.TimeBudget is null ? o.Epochs : int.MaxValue;
        var schedule = o.TimeBudget is null
            ? new CosineLrSchedule(lr, (long)o.Epochs * updatesPerEpoch, o.MinLr, (long)(o.WarmupEpochs!.Value * updatesPerEpoch), o.WarmupLr)
            : null;
        schedule?.Apply(optimizer, 0);

        var startEpoch = 0;
        var startPosition = 0L;
        double best = double.NegativeInfinity;
        long globalStep = 0;
        if (o.Resume is not null)
        {
            schedule ??= new CosineLrSchedule(lr, 1);
            var info = TorchTrainingCheckpoint.Load(o.Resume, model, optimizer, schedule, ema, configJson);
            startEpoch = (int)info.Progress.Epoch;
            startPosition = info.Progress.DataPosition;
            globalStep = info.Progress.GlobalStep;
            best = info.Progress.BestMetric ?? double.NegativeInfinity;
            log($"resumed {o.Resume}: epoch {startEpoch + 1}, update {globalStep}");
        }

        var history = new TrainingLog(o.Output, append: o.Resume is not null);
        var last = Path.Combine(o.Output, "last.pth");
        EvaluationResult? lastEval = null;
        var stopped = false;
        var epoch = startEpoch;
        var epochsSinceBest = 0;
        var budgetEnd = o.TimeBudget;
        var trainTimer = new Stopwatch();
        var calibration = new Stopwatch();
        model.train();

        for (; epoch < plannedEpochs && !stopped; epoch++)
        {
            double lossSum = 0;
            long images = 0;
            var micro = 0;
            var skippedBefore = loader.SkippedCount;
            trainTimer.Restart();
            foreach (var batch in loader.GetEpoch(epoch, cancellationToken))
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
                    // Time budget: fit the schedule to the budget once the first updates are timed.
                    // Time the updates after start-up (JIT, first allocations); keep ~8% of the budget for validation.
                    if (globalStep == 5) calibration.Restart();
                    if (globalStep == 20)
                    {
                        var perUpdate = calibration.Elapsed.TotalSeconds / 15;
                        var remaining = budgetEnd!.Value.TotalSeconds * 0.92 - clock.Elapsed.TotalSeconds;
                        var total = (long)Math.Max(globalStep + 1, globalStep + remaining / perUpdate);
                        var warmup = (long)(total * Math.Min(0.2, o.WarmupEpochs!.Value / Math.Max(1.0, total / (double)updatesPerEpoch)));
                        schedule = new CosineLrSchedule(lr, total, o.MinLr, warmup, o.WarmupLr);
                        log($"time budget {budgetEnd.Value}: about {total} updates ({total / (double)updatesPerEpoch:F1} epochs), warmup {warmup}");
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
                var scheduleDone = budgetEnd is not null && schedule is not null && globalStep >= schedule.TInitial;
                if (cancellationToken.IsCancellationRequested || scheduleDone || (budgetEnd is { } end && clock.Elapsed >= end))
                {
                    stopped = cancellationToken.IsCancellationRequested;
                    if (stopped)
                    {
                        TorchTrainingCheckpoint.Save(last, model, optimizer, schedule, ema,
                            new TrainingProgress(epoch, globalStep, double.IsFinite(best) ? best : null, o.Seed, micro), configJson, classes, Args(size, small));
                        log($"stopped at epoch {epoch + 1}, batch {micro}: resumable checkpoint {last}");
                    }
                    break;
                }
            }
            startPosition = 0;
            var trainSeconds = trainTimer.Elapsed.TotalSeconds;
            if (stopped) break;

            lastEval = TorchEvaluator.Evaluate(model, data.Val, eval, o.BatchSize, o.Workers, device);
            double? emaTop1 = ema is null ? null : TorchEvaluator.Evaluate((ImageClassifier)ema.Module, data.Val, eval, o.BatchSize, o.Workers, device).Top1;
            var record = new EpochRecord(epoch + 1, lossSum / Math.Max(1, images), CosineLrSchedule.CurrentRate(optimizer), images / Math.Max(1e-9, trainSeconds),
                lastEval.Top1, lastEval.Top5, lastEval.Loss, emaTop1, loader.SkippedCount - skippedBefore, clock.Elapsed.TotalSeconds);
            history.Add(record);
            OnEpoch?.Invoke(record);
            log(string.Create(CultureInfo.InvariantCulture,
                $"epoch {epoch + 1}: train loss {record.TrainLoss:F4}, val top-1 {lastEval.Top1:F2}% top-5 {lastEval.Top5:F2}%{(emaTop1 is { } e ? $", EMA top-1 {e:F2}%" : "")}, {record.ImagesPerSecond:F0} img/s, skipped {record.Skipped}"));
            var improved = lastEval.Top1 > best;
            if (improved) best = lastEval.Top1;
            epochsSinceBest = improved ? 0 : epochsSinceBest + 1;
            TorchTrainingCheckpoint.Save(last, model, optimizer, schedule ?? new CosineLrSchedule(lr, 1), ema,
                new TrainingProgress(epoch + 1, globalStep, best, o.Seed, 0), configJson, classes, Args(size, small));
            if (improved) CopyAtomically(last, Path.Combine(o.Output, "best.pth"));
            HtmlReport.Write(Path.Combine(o.Output, "report.html"), $"{o.Model} on {o.Data}", history.Records, classes, lastEval.PerClass, Settings(lr, size));
            if (budgetEnd is { } limit && (clock.Elapsed >= limit || (schedule is not null && globalStep >= schedule.TInitial))) { epoch++; break; }
            if (o.EarlyStoppingPatience is { } patience && epochsSinceBest >= patience)
            {
                log(string.Create(CultureInfo.InvariantCulture, $"early stopping: validation top-1 has not improved on {best:F2}% for {patience} epoch(s)"));
                epoch++;
                break;
            }
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

    private static void CopyAtomically(string source, string destination)
    {
        var temporary = destination + ".tmp";
        File.Copy(source, temporary, overwrite: true);
        File.Move(temporary, destination, overwrite: true);
    }
}
