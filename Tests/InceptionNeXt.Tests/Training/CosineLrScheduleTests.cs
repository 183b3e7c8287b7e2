using System.Text.Json;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Training;

namespace InceptionNeXt.Tests.Training;

/// <summary>
/// The cosine schedule against timm's CosineLRScheduler._get_lr formula (re-typed in Python) and hand values, and timm's
/// learning-rate scaling; stepping a TorchSharp optimizer is tested in TorchCosineLrScheduleTests.
/// </summary>
[TestClass]
public sealed class CosineLrScheduleTests
{
    // timm.scheduler.CosineLRScheduler._get_lr with cycle_mul = cycle_decay = k_decay = 1, cycle_limit = 1, no noise.
    private const string TimmFormula = """
import sys, json, math
base, t_initial, lr_min, warmup_t, warmup_lr_init, warmup_prefix = json.loads(sys.argv[1])
ts = json.loads(sys.argv[2])
def get_lr(t):
    if t < warmup_t:
        s = (base - warmup_lr_init) / warmup_t
        return warmup_lr_init + t * s
    if warmup_prefix:
        t = t - warmup_t
    i = t // t_initial
    t_i = t_initial
    t_curr = t - (t_initial * i)
    if i < 1:
        return lr_min + 0.5 * (base - lr_min) * (1 + math.cos(math.pi * t_curr ** 1 / t_i ** 1))
    return lr_min
print(json.dumps([get_lr(t) for t in ts]))
""";

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void MatchesTimmFormula(bool warmupPrefix)
    {
        PythonRunner.RequirePython();
        var schedule = new CosineLrSchedule(4e-3, tInitial: 300, minLr: 1e-6, warmupT: 20, warmupLrInit: 1e-6, warmupPrefix: warmupPrefix);
        long[] ts = [0, 1, 7, 19, 20, 21, 100, 150, 280, 299, 300, 319, 320, 400];
        var config = JsonSerializer.Serialize(new object[] { 4e-3, 300, 1e-6, 20, 1e-6, warmupPrefix });
        var expected = JsonSerializer.Deserialize<double[]>(PythonRunner.Run(TimmFormula, config, JsonSerializer.Serialize(ts)))!;
        for (var i = 0; i < ts.Length; i++)
            Assert.AreEqual(expected[i], schedule.LearningRateAt(ts[i]), 1e-15 + Math.Abs(expected[i]) * 1e-14, $"t = {ts[i]}");
    }

    [TestMethod]
    public void HandComputedValues()
    {
        var s = new CosineLrSchedule(1.0, tInitial: 10, minLr: 0, warmupT: 2, warmupLrInit: 0);
        Assert.AreEqual(0.0, s.LearningRateAt(0), 1e-15);
        Assert.AreEqual(0.5, s.LearningRateAt(1), 1e-15);
        // Without warmup_prefix the cosine counts from t = 0: at t = 2 it is 0.5 * (1 + cos(pi / 5)).
        Assert.AreEqual(0.5 * (1 + Math.Cos(Math.PI / 5)), s.LearningRateAt(2), 1e-15);
        Assert.AreEqual(0.5, s.LearningRateAt(5), 1e-15);
        Assert.AreEqual(0.0, s.LearningRateAt(10), 1e-15);
        Assert.AreEqual(0.0, s.LearningRateAt(50), 1e-15);
        var prefix = new CosineLrSchedule(1.0, tInitial: 10, warmupT: 2, warmupPrefix: true);
        Assert.AreEqual(1.0, prefix.LearningRateAt(2), 1e-15);
        Assert.AreEqual(0.5, prefix.LearningRateAt(7), 1e-15);
    }

    [TestMethod]
    public void LrScalingFollowsTimmTrainPy()
    {
        Assert.AreEqual(LrScaleRule.Sqrt, LrScaling.DefaultRule("adamw"));
        Assert.AreEqual(LrScaleRule.Sqrt, LrScaling.DefaultRule("lamb"));
        Assert.AreEqual(LrScaleRule.Linear, LrScaling.DefaultRule("sgd"));
        Assert.AreEqual(LrScaleRule.Linear, LrScaling.DefaultRule("momentum"));
        Assert.AreEqual(0.4, LrScaling.Scale(0.1, 1024, LrScaleRule.Linear), 1e-15);
        Assert.AreEqual(0.2, LrScaling.Scale(0.1, 1024, "adamw"), 1e-15);
        Assert.AreEqual(4e-3 * 128 / 4096, LrScaling.Scale(4e-3, 128, LrScaleRule.Linear, 4096), 1e-18);
        Assert.AreEqual(1e-3 * Math.Sqrt(2), LrScaling.Scale(1e-3, 1024, "AdamW", 512), 1e-15);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => LrScaling.Scale(0.1, 0, LrScaleRule.Linear));
    }
}
