using InceptionNeXt.Training.TorchModels;
using InceptionNeXt.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Tests.Training;

/// <summary><see cref="CosineLrSchedule"/> driving a TorchSharp optimizer: every parameter group follows it.</summary>
[TestClass]
public sealed class TorchCosineLrScheduleTests
{
    [TestMethod]
    public void StepsOnUpdatesOrEpochsLikeTimm()
    {
        using var model = nn.Sequential(nn.Linear(2, 2));
        using var opt = TorchOptimizers.AdamW(model, 0.1, 0.05);
        var perUpdate = CosineLrSchedule.ForEpochs(1.0, epochs: 4, warmupEpochs: 1, updatesPerEpoch: 5, minLr: 0, warmupLr: 0);
        Assert.AreEqual(0.0, perUpdate.Start(opt, 0, 5), 1e-15);
        Assert.AreEqual(0.6, perUpdate.StepUpdate(opt, 3), 1e-15);
        Assert.AreEqual(0.6, perUpdate.StepEpoch(opt, 1), 1e-15, "epoch steps do not move a per-update schedule");
        Assert.AreEqual(2, opt.ParamGroups.Count(), "timm's decay and no-decay groups");
        foreach (var group in opt.ParamGroups) Assert.AreEqual(0.6, group.LearningRate, 1e-15);
        Assert.AreEqual(3, perUpdate.T);

        var perEpoch = CosineLrSchedule.ForEpochs(1.0, epochs: 4, warmupEpochs: 0, updatesPerEpoch: 5, minLr: 0, stepOnUpdates: false);
        Assert.AreEqual(1.0, perEpoch.Start(opt, 0, 5), 1e-15);
        Assert.AreEqual(1.0, perEpoch.StepUpdate(opt, 3), 1e-15);
        Assert.AreEqual(0.5, perEpoch.StepEpoch(opt, 2), 1e-15);
        Assert.AreEqual(0.5, CosineLrSchedule.CurrentRate(opt), 1e-15);
    }

    [TestMethod]
    public void TheOptimizerStepsWithTheScheduledRate()
    {
        // SGD without momentum or decay: the update is exactly -lr * grad, so the applied rate is visible in the weights.
        using var model = nn.Sequential(nn.Linear(1, 1, hasBias: false));
        using var opt = TorchOptimizers.Sgd(model, 1.0, 0, momentum: 0);
        var schedule = new CosineLrSchedule(1.0, tInitial: 10, warmupT: 4, warmupLrInit: 0);
        schedule.Apply(opt, 2); // warmup: 0.5
        var w = model.parameters().Single();
        using (no_grad()) w.fill_(1.0f);
        using (var scope = NewDisposeScope())
        {
            opt.zero_grad();
            (w * 2.0f).sum().backward(); // gradient 2
            opt.step();
        }
        Assert.AreEqual(1.0 - 0.5 * 2.0, w.item<float>(), 1e-6);
    }
}
