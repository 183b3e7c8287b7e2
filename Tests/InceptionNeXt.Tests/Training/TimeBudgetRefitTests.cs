using InceptionNeXt.Training.TorchTraining;
using InceptionNeXt.Training.Training;

namespace InceptionNeXt.Tests.Training;

/// <summary>
/// Refitting a time-budget run's schedule to the speed measured at an epoch end: the updates that still fit, and a
/// continued cosine that keeps the current rate and ends at its minimum at the new end.
/// </summary>
[TestClass]
public sealed class TimeBudgetRefitTests
{
    [TestMethod]
    public void RemainingUpdatesCountValidationsAndTheMargin()
    {
        // 600 s budget, 100 s spent, 0.5 s per update, 10 s per validation every 100 updates:
        // left = 600 * 0.98 - 100 - 10 (the last validation) = 478 s at 0.5 + 10 / 100 = 0.6 s per update = 796 updates.
        Assert.AreEqual(796L, TimeBudgetRefit.RemainingUpdates(TimeSpan.FromSeconds(600), TimeSpan.FromSeconds(100), 0.5, 10, 100));
        // Without validations it is the time left over the time per update.
        Assert.AreEqual(976L, TimeBudgetRefit.RemainingUpdates(TimeSpan.FromSeconds(600), TimeSpan.FromSeconds(100), 0.5, 0, 100));
        // Out of time: one more update, never zero or negative.
        Assert.AreEqual(1L, TimeBudgetRefit.RemainingUpdates(TimeSpan.FromSeconds(600), TimeSpan.FromSeconds(700), 0.5, 10, 100));
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void ContinuedScheduleKeepsTheRateAndEndsAtItsMinimum(bool warmupPrefix)
    {
        var old = new CosineLrSchedule(3e-3, 1000, 1e-6, 100, 1e-6, warmupPrefix);
        var oldEnd = warmupPrefix ? 1100 : 1000;
        const long t = 400;
        foreach (var newEnd in new long[] { 700, 900, 1300, 2000 })
        {
            var refit = TimeBudgetRefit.Continue(old, t, newEnd);
            Assert.AreNotSame(old, refit, $"new end {newEnd}");
            Assert.AreEqual(old.LearningRateAt(t), refit.LearningRateAt(t), 1e-12, $"no jump at the refit (new end {newEnd})");
            Assert.AreEqual(1e-6, refit.LearningRateAt(newEnd), 1e-12, $"minimum at the new end {newEnd}");
            Assert.IsTrue(refit.LearningRateAt(newEnd - 1) > 1e-6, $"still above the minimum just before {newEnd}");
            for (var u = t; u < newEnd; u++)
                Assert.IsTrue(refit.LearningRateAt(u + 1) <= refit.LearningRateAt(u), $"falls monotonically (new end {newEnd}, update {u})");
            Assert.AreEqual(t, refit.T);
            Assert.AreEqual(old.WarmupT, refit.WarmupT);
            Assert.AreEqual(warmupPrefix, refit.WarmupPrefix);
        }
        // The same end gives the same schedule.
        Assert.AreSame(old, TimeBudgetRefit.Continue(old, t, oldEnd));
    }

    [TestMethod]
    public void AFewUpdatesPastAnEpochEndEndAtIt()
    {
        // 468 updates per epoch: 1414 is 10 past the end of epoch 3 (1404), within 5% of an epoch; 1430 is 26 past it.
        Assert.AreEqual(1404L, TimeBudgetRefit.SnapToEpochEnd(1414, 936, 468));
        Assert.AreEqual(1430L, TimeBudgetRefit.SnapToEpochEnd(1430, 936, 468));
        Assert.AreEqual(1404L, TimeBudgetRefit.SnapToEpochEnd(1404, 936, 468));
        // Not back to an end already passed.
        Assert.AreEqual(940L, TimeBudgetRefit.SnapToEpochEnd(940, 936, 468));
    }

    [TestMethod]
    public void NoRefitDuringWarmupNearTheEndOrForSmallChanges()
    {
        var old = new CosineLrSchedule(3e-3, 1000, 1e-6, 100, 1e-6);
        Assert.AreSame(old, TimeBudgetRefit.Continue(old, 50, 2000), "during warmup");
        Assert.AreSame(old, TimeBudgetRefit.Continue(old, 950, 2000), "past 90% of the cosine");
        Assert.AreSame(old, TimeBudgetRefit.Continue(old, 500, 520), "past 90% of the new cosine");
        Assert.AreSame(old, TimeBudgetRefit.Continue(old, 500, 400), "a new end before now");
        // 500 updates left: a change of 10 (2%) is not worth a refit; 11 is.
        Assert.IsFalse(TimeBudgetRefit.Worthwhile(old, 500, 1010));
        Assert.IsTrue(TimeBudgetRefit.Worthwhile(old, 500, 1011));
        Assert.IsTrue(TimeBudgetRefit.Worthwhile(old, 500, 900));
    }
}
