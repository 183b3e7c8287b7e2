using System.Text.Json.Nodes;
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.LibTorch;
using InceptionNeXt.Training.Modules;
using InceptionNeXt.Training.Optim;

namespace InceptionNeXt.Training.Training;

/// <summary>
/// Where training stands. The data pipeline's order and augmentation must be a pure function of
/// (<see cref="DataSeed"/>, epoch, position), so that storing these three numbers instead of a
/// <see cref="System.Random"/> is enough to resume exactly.
/// </summary>
/// <param name="Epoch">The next epoch to run (epochs completed when saved at an epoch boundary).</param>
/// <param name="GlobalStep">Optimizer updates done so far.</param>
/// <param name="BestMetric">Best validation metric so far, if any.</param>
/// <param name="DataSeed">Seed of the data pipeline.</param>
/// <param name="DataPosition">Batches of <paramref name="Epoch"/> already consumed (0 at an epoch boundary).</param>
public sealed record TrainingProgress(long Epoch, long GlobalStep, double? BestMetric = null, long DataSeed = 0, long DataPosition = 0);

/// <summary>What <see cref="TrainingCheckpoint.Load"/> and <see cref="TrainingCheckpoint.ReadInfo"/> return besides the restored state.</summary>
/// <param name="Progress">Epoch, step, best metric and data position.</param>
/// <param name="ModelConfigJson">The model config JSON stored with the checkpoint, if any.</param>
/// <param name="ClassLabels">The class labels stored with the checkpoint, if any.</param>
/// <param name="Args">Free-form run arguments stored with the checkpoint (values as <see cref="PthReader.Load"/> returns them).</param>
/// <param name="OptimizerType">Optimizer type name stored ("AdamW" or "Sgd").</param>
/// <param name="HasEma">Whether the checkpoint holds EMA weights.</param>
public sealed record TrainingCheckpointInfo(TrainingProgress Progress, string? ModelConfigJson, IReadOnlyList<string>? ClassLabels,
    IReadOnlyDictionary<string, object?> Args, string OptimizerType, bool HasEma);

/// <summary>
/// Everything needed to resume training exactly, in ONE PyTorch zip file (<see cref="PthWriter"/>) that
/// <c>torch.load</c> opens: a dict with <c>model</c> (state dict), <c>optimizer</c> (type, step, lr, hyper-parameters,
/// parameter names and per-parameter state: <c>exp_avg</c>/<c>exp_avg_sq</c> for AdamW, <c>momentum_buffer</c> for
/// SGD), <c>scheduler</c> (t and the schedule's settings), <c>ema</c> (state dict, optional) with <c>ema_updates</c>,
/// <c>rng</c> (libtorch's CPU generator state, and CUDA device 0's when CUDA is available, as uint8 tensors),
/// <c>epoch</c>, <c>global_step</c>, <c>best_metric</c>, <c>data_seed</c>, <c>data_position</c>, <c>model_config</c>
/// (JSON string), <c>class_labels</c> and <c>args</c>. Written through a temporary file renamed over the target, so
/// an interrupted save leaves the previous checkpoint intact.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>Format tag stored under <c>format</c>.</summary>
    public const string FormatTag = "inceptionnext-training-v1";

    /// <summary>Saves the training state atomically to <paramref name="path"/>.</summary>
    public static void Save(string path, Module model, Optimizer optimizer, CosineLrSchedule? scheduler, ModelEma? ema,
        TrainingProgress progress, string? modelConfigJson = null, IReadOnlyList<string>? classLabels = null,
        IReadOnlyDictionary<string, object?>? args = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(progress);

        var rng = new Dictionary<string, object?> { ["torch_cpu"] = RngState(null) };
        if (Torch.CudaIsAvailable) rng["torch_cuda"] = RngState(Device.Cuda(0));
        rng["data_seed"] = progress.DataSeed;
        rng["epoch"] = progress.Epoch;
        rng["position"] = progress.DataPosition;

        var tree = new Dictionary<string, object?>
        {
            ["format"] = FormatTag,
            ["model"] = model.StateDict(),
            ["optimizer"] = OptimizerState(optimizer),
            ["scheduler"] = scheduler is null ? null : SchedulerState(scheduler),
            ["ema"] = ema?.Module.StateDict(),
            ["ema_updates"] = ema?.Updates,
            ["rng"] = rng,
            ["epoch"] = progress.Epoch,
            ["global_step"] = progress.GlobalStep,
            ["best_metric"] = progress.BestMetric,
            ["data_seed"] = progress.DataSeed,
            ["data_position"] = progress.DataPosition,
            ["model_config"] = modelConfigJson,
            ["class_labels"] = classLabels?.ToList(),
            ["args"] = args is null ? new Dictionary<string, object?>() : new Dictionary<string, object?>(args),
        };
        PthWriter.Save(path, tree);
    }

    /// <summary>Reads the bookkeeping of a checkpoint without restoring anything.</summary>
    /// <exception cref="InvalidDataException">The file is not a training checkpoint.</exception>
    public static TrainingCheckpointInfo ReadInfo(string path) => Info(Top(path), path);

    /// <summary>
    /// The trained network of a checkpoint (its EMA weights with <paramref name="useEma"/>), built from the config the
    /// checkpoint stores, with the evaluation input size and crop it was trained for. The caller disposes the model.
    /// </summary>
    public static (Models.ImageClassifier Model, TrainingCheckpointInfo Info, int ImageSize, double CropPct) LoadTrainedModel(string path,
        bool useEma = false)
    {
        var info = ReadInfo(path);
        if (info.ModelConfigJson is null) throw new InvalidDataException($"{path} holds no model config; is it a training checkpoint?");
        if (useEma && !info.HasEma) throw new ArgumentException($"{path} has no EMA weights.");
        var config = Models.ModelConfig.FromJson(info.ModelConfigJson);
        // The registry name is not part of the config JSON; newer checkpoints keep it with the run arguments.
        if (config.Name.Length == 0 && info.Args.TryGetValue("model", out var name) && name is string n) config = config with { Name = n };
        var model = Models.ModelRegistry.Create(config);
        try
        {
            model.LoadStateDict(PthReader.ReadStateDict(path, useEma ? "ema" : "model"), strict: true, path);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        var size = info.Args.TryGetValue("image_size", out var s) && s is long l ? (int)l : config.Preprocessing.InputSize;
        var crop = info.Args.TryGetValue("crop_pct", out var c) && c is double d ? d : config.Preprocessing.CropPct;
        return (model, info, size, crop);
    }

    /// <summary>
    /// Restores a checkpoint written by <see cref="Save"/> into FRESH (or any) instances built with the same settings:
    /// model weights, optimizer state and learning rate, schedule position, EMA weights (when both the checkpoint and
    /// <paramref name="ema"/> have them) and, with <paramref name="restoreRng"/>, libtorch's generator state. Everything
    /// is checked before anything is changed.
    /// </summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="model">The model to load into.</param>
    /// <param name="optimizer">The optimizer to load into (same type and parameters as the saved one).</param>
    /// <param name="scheduler">The schedule whose position to restore, or null.</param>
    /// <param name="ema">The EMA to restore, or null.</param>
    /// <param name="expectedModelConfigJson">When given and the checkpoint stores a config, both must describe the same model.</param>
    /// <param name="restoreRng">Restore libtorch's random generator state (dropout, drop path).</param>
    /// <exception cref="InvalidDataException">The file is not a training checkpoint, or it does not match the given instances (the message says what differs).</exception>
    /// <exception cref="StateDictMismatchException">Model or EMA weights do not fit the module.</exception>
    public static TrainingCheckpointInfo Load(string path, Module model, Optimizer optimizer, CosineLrSchedule? scheduler = null,
        ModelEma? ema = null, string? expectedModelConfigJson = null, bool restoreRng = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var top = Top(path);
        var info = Info(top, path);

        if (expectedModelConfigJson is not null && info.ModelConfigJson is not null &&
            !JsonNode.DeepEquals(JsonNode.Parse(expectedModelConfigJson), JsonNode.Parse(info.ModelConfigJson)))
            throw Error(path, $"it was saved for a different model config.\n  checkpoint: {info.ModelConfigJson}\n  current:    {expectedModelConfigJson}");

        var modelState = StateDictAt(top, "model", path);
        var optimizerState = Dict(top, "optimizer", path);
        var moments = CheckOptimizer(optimizerState, optimizer, path);
        StateDict? emaState = null;
        if (ema is not null && top.TryGetValue("ema", out var e) && e is not null) emaState = StateDictAt(top, "ema", path);
        Dictionary<string, object?>? rng = null;
        if (restoreRng) rng = Dict(top, "rng", path);

        // Model and EMA weights are checked (strict) by LoadStateDict before it copies anything.
        model.LoadStateDict(modelState, strict: true, source: path);
        if (emaState is not null) ema!.Module.LoadStateDict(emaState, strict: true, source: path + " (ema)");

        using (Torch.NoGrad())
        {
            for (var i = 0; i < optimizer.Entries.Count; i++)
                for (var k = 0; k < moments.Count; k++)
                {
                    using var src = moments[k][i].ToTensor();
                    StateTensors(optimizer)[k][i].CopyFrom(src);
                }
        }
        var step = Long(optimizerState, "step", path);
        switch (optimizer)
        {
            case AdamW adamw: adamw.SetStepCount(step); break;
            case Sgd sgd: sgd.SetStepCount(step); break;
        }
        optimizer.LearningRate = Double(optimizerState, "lr", path);

        if (scheduler is not null && top.TryGetValue("scheduler", out var s) && s is Dictionary<string, object?> schedulerState)
            scheduler.T = Long(schedulerState, "t", path);
        if (ema is not null && emaState is not null && top.TryGetValue("ema_updates", out var u) && u is long updates)
            ema.Updates = updates;

        if (rng is not null)
        {
            if (rng.TryGetValue("torch_cpu", out var cpu) && cpu is TensorData cpuState)
            {
                using var t = cpuState.ToTensor();
                Torch.SetRngState(t);
            }
            if (Torch.CudaIsAvailable && rng.TryGetValue("torch_cuda", out var cuda) && cuda is TensorData cudaState)
            {
                using var t = cudaState.ToTensor();
                Torch.SetRngState(t, Device.Cuda(0));
            }
        }
        return info;
    }

    // ---------------------------------------------------------------- writing

    private static TensorData RngState(Device? device)
    {
        using var state = Torch.GetRngState(device);
        return state.ToTensorData();
    }

    private static Dictionary<string, object?> SchedulerState(CosineLrSchedule s) => new()
    {
        ["type"] = "cosine",
        ["t"] = s.T,
        ["base_lr"] = s.BaseLr,
        ["t_initial"] = s.TInitial,
        ["lr_min"] = s.MinLr,
        ["warmup_t"] = s.WarmupT,
        ["warmup_lr_init"] = s.WarmupLrInit,
        ["warmup_prefix"] = s.WarmupPrefix,
        ["t_in_epochs"] = s.TInEpochs,
    };

    private static Dictionary<string, object?> OptimizerState(Optimizer optimizer)
    {
        var (type, names) = Describe(optimizer);
        var hyper = optimizer switch
        {
            AdamW a => new Dictionary<string, object?> { ["beta1"] = a.Beta1, ["beta2"] = a.Beta2, ["eps"] = a.Eps },
            Sgd s => new Dictionary<string, object?> { ["momentum"] = s.Momentum, ["nesterov"] = s.Nesterov, ["dampening"] = s.Dampening },
            _ => [],
        };
        var state = new Dictionary<string, object?>
        {
            ["type"] = type,
            ["step"] = optimizer.StepCount,
            ["lr"] = optimizer.LearningRate,
            ["hyper"] = hyper,
            ["param_names"] = optimizer.Entries.Select(p => (object?)p.Name).ToList(),
            ["weight_decay"] = optimizer.Entries.Select(p => (object?)p.WeightDecay).ToList(),
        };
        var tensors = StateTensors(optimizer);
        for (var k = 0; k < names.Length; k++)
            state[names[k]] = tensors[k].Select(t => (object?)t.ToTensorData()).ToList();
        return state;
    }

    private static (string Type, string[] StateNames) Describe(Optimizer optimizer) => optimizer switch
    {
        AdamW => ("AdamW", ["exp_avg", "exp_avg_sq"]),
        Sgd => ("Sgd", ["momentum_buffer"]),
        _ => throw new NotSupportedException($"Training checkpoints do not know how to save {optimizer.GetType().Name}."),
    };

    private static IReadOnlyList<Tensor>[] StateTensors(Optimizer optimizer) => optimizer switch
    {
        AdamW a => [a.ExpAvg, a.ExpAvgSq],
        Sgd s => [s.MomentumBuffers],
        _ => throw new NotSupportedException($"Training checkpoints do not know how to save {optimizer.GetType().Name}."),
    };

    // ---------------------------------------------------------------- reading

    private static Dictionary<string, object?> Top(string path)
    {
        var tree = PthReader.Load(path);
        if (tree is not Dictionary<string, object?> top || !top.TryGetValue("format", out var f) || f as string != FormatTag)
            throw Error(path, $"it is not a training checkpoint (no format '{FormatTag}'); for plain weights use Checkpoint.LoadStateDict.");
        return top;
    }

    private static TrainingCheckpointInfo Info(Dictionary<string, object?> top, string path)
    {
        var progress = new TrainingProgress(Long(top, "epoch", path), Long(top, "global_step", path),
            top.GetValueOrDefault("best_metric") is double best ? best : null,
            Long(top, "data_seed", path), Long(top, "data_position", path));
        var labels = top.GetValueOrDefault("class_labels") is List<object?> list ? list.Select(l => l as string ?? "").ToList() : null;
        var args = top.GetValueOrDefault("args") as Dictionary<string, object?> ?? [];
        var optimizerType = Dict(top, "optimizer", path).GetValueOrDefault("type") as string ?? "?";
        return new TrainingCheckpointInfo(progress, top.GetValueOrDefault("model_config") as string, labels, args, optimizerType,
            top.GetValueOrDefault("ema") is Dictionary<string, object?>);
    }

    // Checks type, parameter names and shapes; returns the saved state lists (one list per state kind).
    private static List<List<TensorData>> CheckOptimizer(Dictionary<string, object?> state, Optimizer optimizer, string path)
    {
        var (type, names) = Describe(optimizer);
        var savedType = state.GetValueOrDefault("type") as string;
        if (savedType != type)
            throw Error(path, $"its optimizer is {savedType ?? "unknown"}, but the run uses {type}; resume with the same optimizer or start a new run from the weights only.");
        var savedNames = (state.GetValueOrDefault("param_names") as List<object?>)?.Select(n => n as string).ToList()
            ?? throw Error(path, "the optimizer state has no parameter names.");
        if (savedNames.Count != optimizer.Entries.Count)
            throw Error(path, $"its optimizer has {savedNames.Count} parameters, the current one {optimizer.Entries.Count}; the model or its frozen/trainable parameters differ.");
        for (var i = 0; i < savedNames.Count; i++)
            if (savedNames[i] != optimizer.Entries[i].Name)
                throw Error(path, $"optimizer parameter {i} is '{savedNames[i]}' in the checkpoint but '{optimizer.Entries[i].Name}' now.");
        var result = new List<List<TensorData>>();
        var current = StateTensors(optimizer);
        for (var k = 0; k < names.Length; k++)
        {
            var list = (state.GetValueOrDefault(names[k]) as List<object?>)?.Select(t => t as TensorData).ToList();
            if (list is null || list.Count != savedNames.Count || list.Any(t => t is null))
                throw Error(path, $"the optimizer state '{names[k]}' is missing or incomplete.");
            for (var i = 0; i < list.Count; i++)
            {
                var expected = current[k][i].Shape;
                if (!expected.SequenceEqual(list[i]!.Shape))
                    throw Error(path, $"optimizer {names[k]} of '{savedNames[i]}' has shape [{string.Join(", ", list[i]!.Shape)}], the parameter [{string.Join(", ", expected)}].");
            }
            result.Add(list!);
        }
        return result;
    }

    private static StateDict StateDictAt(Dictionary<string, object?> top, string key, string path) =>
        PthReader.FindStateDict(top, path, key);

    private static Dictionary<string, object?> Dict(Dictionary<string, object?> d, string key, string path) =>
        d.GetValueOrDefault(key) as Dictionary<string, object?> ?? throw Error(path, $"'{key}' is missing or not a dict.");

    private static long Long(Dictionary<string, object?> d, string key, string path) =>
        d.GetValueOrDefault(key) is long v ? v : throw Error(path, $"'{key}' is missing or not an integer.");

    private static double Double(Dictionary<string, object?> d, string key, string path) => d.GetValueOrDefault(key) switch
    {
        double v => v,
        long v => v,
        _ => throw Error(path, $"'{key}' is missing or not a number."),
    };

    private static InvalidDataException Error(string path, string message) => new($"{path}: cannot resume from this checkpoint: {message}");
}
