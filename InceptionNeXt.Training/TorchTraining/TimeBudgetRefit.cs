using InceptionNeXt.Training.Training;

namespace InceptionNeXt.Training.TorchTraining;

/// <summary>
/// Keeps a time-budget run's cosine schedule ending at the budget when the machine's speed changes after the schedule
/// was fitted (a shared machine slowing down, or start-up costs that made the first updates slow). At each epoch end
/// the trainer measures that epoch's seconds per update and its validation, works out how many updates still fit,
/// and, when that differs from the schedule by more than <see cref="Tolerance"/>, continues with a schedule that has
/// the same learning rate at the current update and reaches its minimum at the new end.
/// </summary>
internal static class TimeBudgetRefit
{
    /// <summary>The share of the budget kept free at a refit, for the jitter of the last epoch's measurements.</summary>
    internal const double Margin = 0.02;

    /// <summary>A change in the remaining updates smaller than this share of them leaves the schedule as it is.</summary>
    internal const double Tolerance = 0.02;

    /// <summary>
    /// Past this share of its cosine a schedule is not refitted: the rate is nearly at its minimum, and the run's hard
    /// stop at the budget ends an overrun.
    /// </summary>
    internal const double LatestProgress = 0.9;

    /// <summary>
    /// The updates that still fit in <paramref name="budget"/> after <paramref name="elapsed"/> (less <see cref="Margin"/>):
    /// <c>n</c> updates at <paramref name="secondsPerUpdate"/> plus a validation of <paramref name="secondsPerValidation"/>
    /// after every <paramref name="updatesPerEpoch"/> of them and one at the end. At least 1.
    /// </summary>
    internal static long RemainingUpdates(TimeSpan budget, TimeSpan elapsed, double secondsPerUpdate, double secondsPerValidation,
        long updatesPerEpoch)
    {
        var left = budget.TotalSeconds * (1 - Margin) - elapsed.TotalSeconds - secondsPerValidation;
        var perUpdate = Math.Max(1e-9, secondsPerUpdate) + Math.Max(0, secondsPerValidation) / Math.Max(1, updatesPerEpoch);
        return Math.Max(1, (long)(left / perUpdate));
    }

    /// <summary>
    /// A schedule equal to <paramref name="schedule"/>'s rate at update <paramref name="t"/> that reaches its minimum at
    /// <paramref name="newTotal"/>: the same cosine shape and minimum, with the peak rate solved for so the rate does not
    /// jump (the peak stored is then the cosine's virtual start, not a rate the run used). Returns
    /// <paramref name="schedule"/> itself during warmup, past <see cref="LatestProgress"/> of its cosine, when the new end
    /// is not after <paramref name="t"/>, or when the end does not change.
    /// </summary>
    internal static CosineLrSchedule Continue(CosineLrSchedule schedule, long t, long newTotal)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        if (schedule.TInEpochs || t < schedule.WarmupT || newTotal == schedule.EndT) return schedule;
        var phase = schedule.WarmupPrefix ? t - schedule.WarmupT : t;
        var oldLength = schedule.TInitial;
        var newLength = schedule.WarmupPrefix ? newTotal - schedule.WarmupT : newTotal;
        if (newLength <= phase || phase >= LatestProgress * oldLength || phase >= LatestProgress * newLength) return schedule;
        var rate = schedule.LearningRateAt(t);
        if (rate <= schedule.MinLr) return schedule;
        var peak = schedule.MinLr + 2 * (rate - schedule.MinLr) / (1 + Math.Cos(Math.PI * phase / newLength));
        return new CosineLrSchedule(peak, newLength, schedule.MinLr, schedule.WarmupT, schedule.WarmupLrInit, schedule.WarmupPrefix) { T = t };
    }

    /// <summary>
    /// The share of an epoch that a schedule may end past an epoch end and still be moved back to it: a run that would
    /// otherwise spend a few updates at its minimum rate in one more epoch, and validate again, ends at that epoch instead.
    /// </summary>
    internal const double EpochSnap = 0.05;

    /// <summary>
    /// <paramref name="total"/> moved back to the epoch end before it when it lies at most <see cref="EpochSnap"/> of an
    /// epoch past it and that end is still ahead of <paramref name="t"/>; otherwise <paramref name="total"/>.
    /// </summary>
    internal static long SnapToEpochEnd(long total, long t, long updatesPerEpoch)
    {
        if (updatesPerEpoch < 1) return total;
        var epochEnd = total / updatesPerEpoch * updatesPerEpoch;
        return total - epochEnd <= EpochSnap * updatesPerEpoch && epochEnd > t ? epochEnd : total;
    }

    /// <summary>Whether <paramref name="newTotal"/> differs from the schedule's end by more than <see cref="Tolerance"/> of the updates left.</summary>
    internal static bool Worthwhile(CosineLrSchedule schedule, long t, long newTotal)
    {
        return Math.Abs(newTotal - schedule.EndT) > Tolerance * Math.Max(1, schedule.EndT - t);
    }
}
