using Optimizer = TorchSharp.torch.optim.Optimizer;

namespace InceptionNeXt.Training.Training;

/// <summary>
/// timm's <c>CosineLRScheduler</c> (one cycle, no noise, k-decay 1) with linear warmup. With <c>t</c> the step or
/// epoch count (see <see cref="TInEpochs"/>), the learning rate is
/// <list type="bullet">
/// <item><c>t &lt; warmup_t</c>: <c>warmup_lr_init + t * (base_lr - warmup_lr_init) / warmup_t</c>;</item>
/// <item>otherwise, with <c>t' = t - warmup_t</c> when <see cref="WarmupPrefix"/> and <c>t' = t</c> when not (timm's
/// default: the cosine runs over the whole of <c>t_initial</c>, warmup included, so it is already slightly below
/// <c>base_lr</c> when warmup ends): <c>t' &lt; t_initial</c> gives
/// <c>min_lr + 0.5 * (base_lr - min_lr) * (1 + cos(pi * t' / t_initial))</c>, and <c>t' &gt;= t_initial</c> gives
/// <c>min_lr</c> (timm's cycle_limit = 1).</item>
/// </list>
/// As in timm's train.py, call <see cref="StepUpdate(Optimizer, long)"/> with the number of optimizer updates done after every update,
/// and <see cref="StepEpoch(Optimizer, long)"/> with the next epoch's index at the end of every epoch; only the one matching
/// <see cref="TInEpochs"/> changes the learning rate. The constructor sets the optimizer to the value at t = 0.
/// </summary>
public sealed class CosineLrSchedule
{
    /// <summary>Creates the schedule (timm's argument names in brackets).</summary>
    /// <param name="baseLr">Peak learning rate [the optimizer's lr].</param>
    /// <param name="tInitial">Length of the cosine in steps or epochs [t_initial].</param>
    /// <param name="minLr">Final learning rate [lr_min].</param>
    /// <param name="warmupT">Warmup length in the same unit [warmup_t].</param>
    /// <param name="warmupLrInit">Learning rate at t = 0 during warmup [warmup_lr_init].</param>
    /// <param name="warmupPrefix">Start the cosine after warmup instead of counting warmup in it [warmup_prefix].</param>
    /// <param name="tInEpochs">t counts epochs (true) or optimizer updates (false) [t_in_epochs].</param>
    public CosineLrSchedule(double baseLr, long tInitial, double minLr = 0, long warmupT = 0, double warmupLrInit = 0,
        bool warmupPrefix = false, bool tInEpochs = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tInitial);
        ArgumentOutOfRangeException.ThrowIfNegative(minLr);
        ArgumentOutOfRangeException.ThrowIfNegative(warmupT);
        ArgumentOutOfRangeException.ThrowIfNegative(baseLr);
        BaseLr = baseLr;
        TInitial = tInitial;
        MinLr = minLr;
        WarmupT = warmupT;
        WarmupLrInit = warmupLrInit;
        WarmupPrefix = warmupPrefix;
        TInEpochs = tInEpochs;
    }

    /// <summary>
    /// The schedule timm's <c>create_scheduler_v2</c> builds for <c>--sched cosine</c>: <c>t_initial = epochs</c> and
    /// <c>warmup_t = warmup_epochs</c>, both multiplied by <paramref name="updatesPerEpoch"/> when stepping on updates.
    /// </summary>
    public static CosineLrSchedule ForEpochs(double baseLr, int epochs, int warmupEpochs, long updatesPerEpoch, double minLr = 1e-6,
        double warmupLr = 1e-6, bool stepOnUpdates = true, bool warmupPrefix = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(epochs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(updatesPerEpoch);
        var scale = stepOnUpdates ? updatesPerEpoch : 1;
        return new CosineLrSchedule(baseLr, epochs * scale, minLr, warmupEpochs * scale, warmupLr, warmupPrefix, !stepOnUpdates);
    }

    /// <summary>Peak learning rate.</summary>
    public double BaseLr { get; }
    /// <summary>Cosine length (steps or epochs).</summary>
    public long TInitial { get; }
    /// <summary>Final learning rate.</summary>
    public double MinLr { get; }
    /// <summary>Warmup length (steps or epochs).</summary>
    public long WarmupT { get; }
    /// <summary>Learning rate at t = 0 when warming up.</summary>
    public double WarmupLrInit { get; }
    /// <summary>Whether the cosine starts after the warmup (timm's warmup_prefix).</summary>
    public bool WarmupPrefix { get; }
    /// <summary>Whether t counts epochs rather than optimizer updates.</summary>
    public bool TInEpochs { get; }

    /// <summary>The t from which the rate stays at <see cref="MinLr"/>: <see cref="TInitial"/>, after the warmup when <see cref="WarmupPrefix"/>.</summary>
    public long EndT => TInitial + (WarmupPrefix ? WarmupT : 0);

    /// <summary>The last t applied to an optimizer (the schedule's only state, saved in training checkpoints).</summary>
    public long T { get; set; }

    /// <summary>The learning rate at <paramref name="t"/> (timm's <c>_get_lr</c>).</summary>
    public double LearningRateAt(long t)
    {
        if (t < WarmupT) return WarmupLrInit + t * ((BaseLr - WarmupLrInit) / WarmupT);
        if (WarmupPrefix) t -= WarmupT;
        if (t >= TInitial) return MinLr;
        return MinLr + 0.5 * (BaseLr - MinLr) * (1 + Math.Cos(Math.PI * t / TInitial));
    }

    /// <summary>
    /// Sets every parameter group of a TorchSharp optimizer to the learning rate at <paramref name="t"/> and records t;
    /// returns the rate.
    /// </summary>
    public double Apply(Optimizer optimizer, long t)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        T = t;
        var lr = LearningRateAt(t);
        foreach (var group in optimizer.ParamGroups) group.LearningRate = lr;
        return lr;
    }

    /// <summary>After an optimizer update (timm's <c>step_update(num_updates)</c>): applies t = <paramref name="numUpdates"/> unless <see cref="TInEpochs"/>.</summary>
    public double StepUpdate(Optimizer optimizer, long numUpdates) =>
        TInEpochs ? CurrentRate(optimizer) : Apply(optimizer, numUpdates);

    /// <summary>At the end of an epoch (timm's <c>step(epoch + 1)</c>): applies t = <paramref name="nextEpoch"/> when <see cref="TInEpochs"/>.</summary>
    public double StepEpoch(Optimizer optimizer, long nextEpoch) =>
        TInEpochs ? Apply(optimizer, nextEpoch) : CurrentRate(optimizer);

    /// <summary>Starts (or resumes) at <paramref name="epoch"/> with <paramref name="updatesPerEpoch"/> updates per epoch, as timm's train.py does.</summary>
    public double Start(Optimizer optimizer, long epoch, long updatesPerEpoch) =>
        Apply(optimizer, TInEpochs ? epoch : epoch * updatesPerEpoch);

    /// <summary>The learning rate of a TorchSharp optimizer's first parameter group (the schedule sets them all alike).</summary>
    public static double CurrentRate(Optimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        return optimizer.ParamGroups.First().LearningRate;
    }
}

/// <summary>How a reference learning rate follows the global batch size (timm's <c>--lr-base-scale</c>).</summary>
public enum LrScaleRule
{
    /// <summary>Proportional to the batch size (timm's default for SGD and other non-adaptive optimizers).</summary>
    Linear,
    /// <summary>Proportional to the square root of the batch size (timm's default for optimizers whose name contains "ada" or "lamb", AdamW included).</summary>
    Sqrt,
}

/// <summary>
/// timm's train.py rule for a learning rate given for a reference batch size:
/// <c>lr = lr_base * (global_batch / lr_base_size)</c> for <see cref="LrScaleRule.Linear"/>, or times the square root of
/// that ratio for <see cref="LrScaleRule.Sqrt"/>, where the global batch is batch size x devices x accumulation steps.
/// </summary>
public static class LrScaling
{
    /// <summary>timm's default reference batch size (<c>--lr-base-size 256</c>).</summary>
    public const int DefaultBaseBatchSize = 256;

    /// <summary>timm's default rule for an optimizer name: sqrt when it contains "ada" or "lamb" (adamw, adam, lamb...), else linear.</summary>
    public static LrScaleRule DefaultRule(string optimizerName)
    {
        ArgumentNullException.ThrowIfNull(optimizerName);
        var name = optimizerName.ToLowerInvariant();
        return name.Contains("ada", StringComparison.Ordinal) || name.Contains("lamb", StringComparison.Ordinal) ? LrScaleRule.Sqrt : LrScaleRule.Linear;
    }

    /// <summary>The learning rate for <paramref name="globalBatchSize"/> given <paramref name="lrBase"/> at <paramref name="baseBatchSize"/>.</summary>
    public static double Scale(double lrBase, long globalBatchSize, LrScaleRule rule, int baseBatchSize = DefaultBaseBatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(globalBatchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(baseBatchSize);
        var ratio = (double)globalBatchSize / baseBatchSize;
        return lrBase * (rule == LrScaleRule.Sqrt ? Math.Sqrt(ratio) : ratio);
    }

    /// <summary>Same as <see cref="Scale(double, long, LrScaleRule, int)"/> with the rule timm picks for <paramref name="optimizerName"/>.</summary>
    public static double Scale(double lrBase, long globalBatchSize, string optimizerName, int baseBatchSize = DefaultBaseBatchSize) =>
        Scale(lrBase, globalBatchSize, DefaultRule(optimizerName), baseBatchSize);
}
