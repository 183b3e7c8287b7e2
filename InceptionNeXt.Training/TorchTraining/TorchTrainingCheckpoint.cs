using System.Text.Json.Nodes;
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;
using InceptionNeXt.Training.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ImageClassifier = InceptionNeXt.Training.TorchModels.ImageClassifier;

namespace InceptionNeXt.Training.TorchTraining;

/// <summary>
/// Training checkpoints of TorchSharp runs, in the layout of <see cref="TrainingCheckpoint"/> (format
/// <c>inceptionnext-training-v1</c>, one PyTorch zip that <c>torch.load</c> opens, written through a temporary file
/// renamed over the target): <c>model</c>, <c>optimizer</c> (type, step, lr, hyper-parameters, parameter names,
/// weight decays, <c>exp_avg</c>/<c>exp_avg_sq</c> for AdamW or <c>momentum_buffer</c> for SGD, plus each AdamW
/// parameter's own step count under <c>param_step</c>), <c>scheduler</c>, <c>ema</c> with <c>ema_updates</c>,
/// <c>rng</c> (libtorch's CPU generator state), progress, <c>model_config</c>, <c>class_labels</c> and <c>args</c>.
/// Optimizer state is matched to parameters by name, so the order TorchSharp's parameter groups impose does not matter.
/// </summary>
public static class TorchTrainingCheckpoint
{
    /// <summary>
    /// Saves the training state atomically to <paramref name="path"/>; <paramref name="timeBudget"/> records a time-budget
    /// run's budget and elapsed time (the fitted schedule itself is <paramref name="scheduler"/>).
    /// </summary>
    /// <exception cref="NotSupportedException">The optimizer is neither TorchSharp's AdamW nor its SGD.</exception>
    public static void Save(string path, nn.Module model, optim.Optimizer optimizer, CosineLrSchedule? scheduler, TorchModelEma? ema,
        TrainingProgress progress, string? modelConfigJson = null, IReadOnlyList<string>? classLabels = null,
        IReadOnlyDictionary<string, object?>? args = null, TimeBudgetState? timeBudget = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(progress);

        Dictionary<string, object?> rng;
        using (var cpu = get_rng_state())
            rng = new Dictionary<string, object?>
            {
                ["torch_cpu"] = cpu.ToTensorData(),
                ["data_seed"] = progress.DataSeed,
                ["epoch"] = progress.Epoch,
                ["position"] = progress.DataPosition,
            };

        var tree = new Dictionary<string, object?>
        {
            ["format"] = TrainingCheckpoint.FormatTag,
            ["model"] = model.ToStateDict(),
            ["optimizer"] = OptimizerState(model, optimizer),
            ["scheduler"] = scheduler is null ? null : SchedulerState(scheduler),
            ["ema"] = ema?.Module.ToStateDict(),
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
            ["time_budget"] = timeBudget is null ? null : new Dictionary<string, object?>
            {
                ["budget_s"] = timeBudget.Budget.TotalSeconds,
                ["elapsed_s"] = timeBudget.Elapsed.TotalSeconds,
                ["fitted"] = timeBudget.Fitted,
            },
        };
        PthWriter.Save(path, tree);
    }

    /// <summary>Reads the bookkeeping of a checkpoint without restoring anything (no libtorch needed).</summary>
    /// <exception cref="InvalidDataException">The file is not a training checkpoint.</exception>
    public static TrainingCheckpointInfo ReadInfo(string path) => Info(Top(path), path);

    /// <summary>
    /// The trained network of a checkpoint (its EMA weights with <paramref name="useEma"/>) as a TorchSharp model, built
    /// from the config the checkpoint stores, with the evaluation input size and crop it was trained for. The caller
    /// disposes the model.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a training checkpoint, or no model config in it.</exception>
    public static (ImageClassifier Model, TrainingCheckpointInfo Info, int ImageSize, double CropPct) LoadTrainedModel(string path,
        bool useEma = false)
    {
        var info = ReadInfo(path);
        if (info.ModelConfigJson is null) throw new InvalidDataException($"{path} holds no model config; is it a training checkpoint?");
        if (useEma && !info.HasEma) throw new ArgumentException($"{path} has no EMA weights.");
        var config = ModelConfig.FromJson(info.ModelConfigJson);
        // The registry name is not part of the config JSON; newer checkpoints keep it with the run arguments.
        if (config.Name.Length == 0 && info.Args.TryGetValue("model", out var name) && name is string n) config = config with { Name = n };
        var model = TorchModelRegistry.Create(config);
        try
        {
            model.LoadStateDict(PthReader.ReadStateDict(path, useEma ? "ema" : "model"), strict: true, path);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        var size = info.Args.TryGetValue("image_size", out var s) && s is long l ? (int)l : config.Preprocessing.InputSize;
        var crop = info.Args.TryGetValue("crop_pct", out var c) && c is double d ? d : config.Preprocessing.CropPct;
        return (model, info, size, crop);
    }

    /// <summary>
    /// Restores a checkpoint into FRESH (or any) instances built with the same settings: model weights, optimizer state
    /// and learning rate, schedule position, EMA weights (when both the checkpoint and <paramref name="ema"/> have them)
    /// and, with <paramref name="restoreRng"/>, libtorch's CPU generator state. Optimizer and config are checked before
    /// anything is changed; model and EMA weights are each checked (strict) before they are copied.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is not a training checkpoint, or it does not match the given instances (the message says what differs).</exception>
    /// <exception cref="StateDictMismatchException">Model or EMA weights do not fit the module.</exception>
    public static TrainingCheckpointInfo Load(string path, nn.Module model, optim.Optimizer optimizer, CosineLrSchedule? scheduler = null,
        TorchModelEma? ema = null, string? expectedModelConfigJson = null, bool restoreRng = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(optimizer);
        var top = Top(path);
        var info = Info(top, path);

        if (expectedModelConfigJson is not null && info.ModelConfigJson is not null &&
            !JsonNode.DeepEquals(JsonNode.Parse(expectedModelConfigJson), JsonNode.Parse(info.ModelConfigJson)))
            throw Error(path, $"it was saved for a different model config.\n  checkpoint: {info.ModelConfigJson}\n  current:    {expectedModelConfigJson}");

        var modelState = PthReader.FindStateDict(top, path, "model");
        var optimizerState = Dict(top, "optimizer", path);
        var entries = Entries(model, optimizer);
        var saved = CheckOptimizer(optimizerState, optimizer, entries, path);
        StateDict? emaState = null;
        if (ema is not null && top.TryGetValue("ema", out var e) && e is not null) emaState = PthReader.FindStateDict(top, path, "ema");
        var rng = restoreRng ? Dict(top, "rng", path) : null;
        var lr = Double(optimizerState, "lr", path);
        var step = Long(optimizerState, "step", path);
        var paramSteps = (optimizerState.GetValueOrDefault("param_step") as List<object?>)?.Select(v => v as long?).ToList();

        model.LoadStateDict(modelState, strict: true, source: path);
        if (emaState is not null) ema!.Module.LoadStateDict(emaState, strict: true, source: path + " (ema)");

        using (no_grad())
        {
            for (var i = 0; i < entries.Count; i++)
            {
                var index = saved.IndexOf[entries[i].Name];
                switch (entries[i].State)
                {
                    case AdamW.State adam:
                        CopyInto(adam.exp_avg, saved.Tensors["exp_avg"][index]);
                        CopyInto(adam.exp_avg_sq, saved.Tensors["exp_avg_sq"][index]);
                        adam.step = paramSteps is not null && index < paramSteps.Count && paramSteps[index] is { } own ? own : step;
                        break;
                    case SGD.State sgd:
                        var buffer = saved.Tensors["momentum_buffer"][index].ToTorchSharp(entries[i].Parameter.device);
                        sgd.momentum_buffer?.Dispose();
                        // SGD creates its buffer on the first step; a restored one continues from there.
                        sgd.momentum_buffer = buffer.DetachFromDisposeScope();
                        break;
                }
            }
        }
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;

        if (scheduler is not null && top.TryGetValue("scheduler", out var s) && s is Dictionary<string, object?> schedulerState)
            scheduler.T = Long(schedulerState, "t", path);
        if (ema is not null && emaState is not null && top.TryGetValue("ema_updates", out var u) && u is long updates)
            ema.Updates = updates;

        if (rng is not null && rng.TryGetValue("torch_cpu", out var cpu) && cpu is TensorData cpuState)
        {
            using var t = cpuState.ToTorchSharp();
            set_rng_state(t);
        }
        return info;
    }

    // ---------------------------------------------------------------- optimizer state

    /// <summary>One optimizer parameter: its name in the model, the parameter, its state and weight decay.</summary>
    private sealed record Entry(string Name, Parameter Parameter, OptimizerState State, double WeightDecay);

    // The optimizer's parameters in its own order (group by group), named from the model, with TorchSharp's state objects.
    private static List<Entry> Entries(nn.Module model, optim.Optimizer optimizer)
    {
        if (optimizer is not OptimizerHelper helper || optimizer is not (AdamW or SGD))
            throw new NotSupportedException($"Training checkpoints know TorchSharp's AdamW and SGD, not {optimizer.GetType().Name}.");
        var names = new Dictionary<IntPtr, string>();
        foreach (var (name, p) in model.named_parameters()) names.TryAdd(p.Handle, name);
        var states = helper.state_dict().State;
        var result = new List<Entry>();
        foreach (var group in optimizer.ParamGroups.Cast<ParamGroup>())
        {
            var decay = group.Options switch
            {
                AdamW.Options a => a.weight_decay ?? 0,
                SGD.Options g => g.weight_decay ?? 0,
                _ => 0,
            };
            foreach (var p in group.Parameters)
            {
                if (!names.TryGetValue(p.Handle, out var name))
                    throw new ArgumentException("The optimizer holds a parameter that is not part of the model.", nameof(optimizer));
                result.Add(new Entry(name, p, states[result.Count], decay));
            }
        }
        return result;
    }

    private static (string Type, string[] StateNames) Describe(optim.Optimizer optimizer) => optimizer switch
    {
        AdamW => ("AdamW", ["exp_avg", "exp_avg_sq"]),
        SGD => ("Sgd", ["momentum_buffer"]),
        _ => throw new NotSupportedException($"Training checkpoints know TorchSharp's AdamW and SGD, not {optimizer.GetType().Name}."),
    };

    private static Dictionary<string, object?> OptimizerState(nn.Module model, optim.Optimizer optimizer)
    {
        var entries = Entries(model, optimizer);
        var (type, _) = Describe(optimizer);
        var first = optimizer.ParamGroups.Cast<ParamGroup>().First().Options;
        var hyper = first switch
        {
            AdamW.Options a => new Dictionary<string, object?> { ["beta1"] = a.beta1 ?? 0.9, ["beta2"] = a.beta2 ?? 0.999, ["eps"] = a.eps ?? 1e-8 },
            SGD.Options s => new Dictionary<string, object?> { ["momentum"] = s.momentum ?? 0, ["nesterov"] = s.nesterov ?? false, ["dampening"] = s.dampening ?? 0 },
            _ => [],
        };
        var adamSteps = entries.Select(e => e.State is AdamW.State a ? a.step : 0L).ToList();
        var state = new Dictionary<string, object?>
        {
            ["type"] = type,
            // SGD keeps no step count; AdamW one per parameter (equal unless some parameters had no gradient).
            ["step"] = adamSteps.Count == 0 ? 0L : adamSteps.Max(),
            ["lr"] = CosineLrSchedule.CurrentRate(optimizer),
            ["hyper"] = hyper,
            ["param_names"] = entries.Select(e => (object?)e.Name).ToList(),
            ["weight_decay"] = entries.Select(e => (object?)e.WeightDecay).ToList(),
        };
        switch (optimizer)
        {
            case AdamW:
                state["exp_avg"] = entries.Select(e => (object?)((AdamW.State)e.State).exp_avg.ToTensorData()).ToList();
                state["exp_avg_sq"] = entries.Select(e => (object?)((AdamW.State)e.State).exp_avg_sq.ToTensorData()).ToList();
                state["param_step"] = adamSteps.Select(v => (object?)v).ToList();
                break;
            case SGD:
                // A buffer SGD has not created yet (no step so far) is saved as zeros: with dampening 0, the first step
                // from a zero buffer equals SGD's clone of the gradient.
                state["momentum_buffer"] = entries.Select(e => (object?)MomentumBuffer(e)).ToList();
                break;
        }
        return state;
    }

    private static TensorData MomentumBuffer(Entry e)
    {
        if (((SGD.State)e.State).momentum_buffer is { } buffer) return buffer.ToTensorData();
        using var zeros = zeros_like(e.Parameter);
        return zeros.ToTensorData();
    }

    private static void CopyInto(Tensor target, TensorData value)
    {
        using var src = value.ToTorchSharp(target.device);
        target.copy_(src);
    }

    /// <summary>The saved per-parameter tensors by state name, and each saved parameter name's index.</summary>
    private sealed record SavedOptimizer(Dictionary<string, int> IndexOf, Dictionary<string, List<TensorData>> Tensors);

    // Checks type, parameter names and shapes before anything is restored.
    private static SavedOptimizer CheckOptimizer(Dictionary<string, object?> state, optim.Optimizer optimizer, List<Entry> entries, string path)
    {
        var (type, stateNames) = Describe(optimizer);
        var savedType = state.GetValueOrDefault("type") as string;
        if (savedType != type)
            throw Error(path, $"its optimizer is {savedType ?? "unknown"}, but the run uses {type}; resume with the same optimizer or start a new run from the weights only.");
        var savedNames = (state.GetValueOrDefault("param_names") as List<object?>)?.Select(n => n as string ?? "").ToList()
            ?? throw Error(path, "the optimizer state has no parameter names.");
        if (savedNames.Count != entries.Count)
            throw Error(path, $"its optimizer has {savedNames.Count} parameters, the current one {entries.Count}; the model or its frozen/trainable parameters differ.");
        var indexOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < savedNames.Count; i++) indexOf.TryAdd(savedNames[i], i);
        foreach (var entry in entries)
            if (!indexOf.ContainsKey(entry.Name))
                throw Error(path, $"the current optimizer trains '{entry.Name}', which the checkpoint's optimizer did not.");
        var tensors = new Dictionary<string, List<TensorData>>(StringComparer.Ordinal);
        foreach (var name in stateNames)
        {
            var list = (state.GetValueOrDefault(name) as List<object?>)?.Select(t => t as TensorData).ToList();
            if (list is null || list.Count != savedNames.Count || list.Any(t => t is null))
                throw Error(path, $"the optimizer state '{name}' is missing or incomplete.");
            foreach (var entry in entries)
            {
                var value = list[indexOf[entry.Name]]!;
                if (!entry.Parameter.shape.SequenceEqual(value.Shape))
                    throw Error(path, $"optimizer {name} of '{entry.Name}' has shape [{string.Join(", ", value.Shape)}], the parameter [{string.Join(", ", entry.Parameter.shape)}].");
            }
            tensors[name] = list.Select(t => t!).ToList();
        }
        return new SavedOptimizer(indexOf, tensors);
    }

    // ---------------------------------------------------------------- reading

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

    private static Dictionary<string, object?> Top(string path)
    {
        var tree = PthReader.Load(path);
        if (tree is not Dictionary<string, object?> top || !top.TryGetValue("format", out var f) || f as string != TrainingCheckpoint.FormatTag)
            throw Error(path, $"it is not a training checkpoint (no format '{TrainingCheckpoint.FormatTag}'); for plain weights use Checkpoint.LoadStateDict.");
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
            top.GetValueOrDefault("ema") is Dictionary<string, object?>)
        {
            Schedule = top.GetValueOrDefault("scheduler") is Dictionary<string, object?> s ? Schedule(s, path) : null,
            TimeBudget = top.GetValueOrDefault("time_budget") is Dictionary<string, object?> b
                ? new TimeBudgetState(TimeSpan.FromSeconds(Double(b, "budget_s", path)), TimeSpan.FromSeconds(Double(b, "elapsed_s", path)),
                    b.GetValueOrDefault("fitted") is true)
                : null,
        };
    }

    // The stored cosine schedule (SchedulerState's fields) with its position.
    private static CosineLrSchedule? Schedule(Dictionary<string, object?> s, string path)
    {
        if (s.GetValueOrDefault("type") as string != "cosine" || s.GetValueOrDefault("t_initial") is not long tInitial || tInitial < 1) return null;
        return new CosineLrSchedule(Double(s, "base_lr", path), tInitial, Double(s, "lr_min", path), Long(s, "warmup_t", path),
            Double(s, "warmup_lr_init", path), s.GetValueOrDefault("warmup_prefix") is true, s.GetValueOrDefault("t_in_epochs") is true)
        {
            T = Long(s, "t", path),
        };
    }

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
