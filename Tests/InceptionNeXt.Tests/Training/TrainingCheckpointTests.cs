using System.Collections;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.LibTorch;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.Optim;
using InceptionNeXt.Training.Training;

namespace InceptionNeXt.Tests.Training;

/// <summary>
/// Resume equality: 2 epochs straight vs 1 epoch, save, load into fresh instances (other init seed, other RNG
/// state), 1 epoch: the same bits. Dropout and drop path are on, so libtorch's RNG state must be restored too.
/// </summary>
[TestClass]
public sealed class TrainingCheckpointTests
{
    private const int StepsPerEpoch = 3;
    private const long DataSeed = 1234;

    private static ModelConfig Config() => ModelRegistry.GetConfig("inceptionnext_atto") with
    {
        NumClasses = 3, StemStride = 1, DropPathRate = 0.3, DropRate = 0.3,
    };

    private sealed class Run : IDisposable
    {
        public Run(long initSeed, string optimizer)
        {
            Torch.ManualSeed(initSeed);
            Model = ModelRegistry.Create(Config());
            var emaModel = ModelRegistry.Create(Config());
            var groups = Optimizer.DecayGroups(Model, 0.05);
            Optimizer = optimizer == "adamw" ? new AdamW(groups, 1e-3) : new Sgd(groups, 0.05, momentum: 0.9, nesterov: true);
            Schedule = CosineLrSchedule.ForEpochs(optimizer == "adamw" ? 1e-3 : 0.05, epochs: 2, warmupEpochs: 1, updatesPerEpoch: StepsPerEpoch,
                minLr: 1e-5, warmupLr: 1e-5);
            Schedule.Start(Optimizer, 0, StepsPerEpoch);
            Ema = new ModelEma(Model, emaModel, 0.9, warmup: true);
        }

        public ImageClassifier Model { get; }
        public Optimizer Optimizer { get; }
        public CosineLrSchedule Schedule { get; }
        public ModelEma Ema { get; }
        public Mixup Mixup { get; } = new(new MixupOptions(3));
        public long Step;

        // Data order and augmentation are a pure function of (seed, epoch): System.Random for the pipeline.
        public void TrainEpoch(int epoch)
        {
            var random = new Random(unchecked((int)(DataSeed * 1000 + epoch)));
            Model.Train();
            for (var b = 0; b < StepsPerEpoch; b++)
            {
                using var scope = Torch.NewDisposeScope();
                var pixels = new float[4 * 3 * 16 * 16];
                for (var i = 0; i < pixels.Length; i++) pixels[i] = (float)(random.NextDouble() * 2 - 1);
                var labels = Enumerable.Range(0, 4).Select(_ => (long)random.Next(3)).ToArray();
                var x = Torch.FromArray(pixels, [4, 3, 16, 16]);
                var y = Torch.FromArray(labels, [4]);
                var mixed = Mixup.Apply(x, y, random);
                var logits = Model.Forward(mixed.Images);
                var loss = Functional.SoftTargetCrossEntropy(logits, mixed.Targets);
                Optimizer.ZeroGrad();
                loss.Backward();
                Optimizer.ClipGradNorm(5.0);
                Optimizer.Step();
                Step++;
                Schedule.StepUpdate(Optimizer, Step);
                Ema.Update();
            }
            Schedule.StepEpoch(Optimizer, epoch + 1);
        }

        public void Save(string path, int epochsDone) => TrainingCheckpoint.Save(path, Model, Optimizer, Schedule, Ema,
            new TrainingProgress(epochsDone, Step, 0.5, DataSeed), Model.Config.ToJson(), ["a", "b", "c"],
            new Dictionary<string, object?> { ["model"] = "inceptionnext_atto", ["lr"] = 1e-3 });

        public void Dispose()
        {
            Optimizer.Dispose();
            Ema.Dispose();
            Model.Dispose();
        }
    }

    private static void AssertSameBits(StateDict expected, StateDict actual, string what)
    {
        CollectionAssert.AreEqual(expected.Keys.ToList(), actual.Keys.ToList(), what);
        foreach (var (name, value) in expected)
            CollectionAssert.AreEqual(value.Data, actual[name].Data, $"{what}: {name}");
    }

    private static StateDict OptimizerState(Optimizer optimizer)
    {
        var sd = new StateDict();
        IReadOnlyList<Tensor>[] lists = optimizer switch
        {
            AdamW a => [a.ExpAvg, a.ExpAvgSq],
            Sgd s => [s.MomentumBuffers],
            _ => [],
        };
        for (var k = 0; k < lists.Length; k++)
            for (var i = 0; i < lists[k].Count; i++) sd.Add($"{k}.{i}", lists[k][i].ToTensorData());
        return sd;
    }

    [TestMethod]
    [DataRow("adamw")]
    [DataRow("sgd")]
    public void ResumeIsBitExact(string optimizer)
    {
        using var dir = new TempDir();
        var path = dir.File("last.pth");

        using var straight = new Run(initSeed: 0, optimizer);
        straight.TrainEpoch(0);
        straight.Save(path, epochsDone: 1);
        straight.TrainEpoch(1);

        using var resumed = new Run(initSeed: 99, optimizer);
        Torch.ManualSeed(4321); // Any RNG state: the checkpoint must restore it.
        var info = TrainingCheckpoint.Load(path, resumed.Model, resumed.Optimizer, resumed.Schedule, resumed.Ema,
            expectedModelConfigJson: Config().ToJson());
        Assert.AreEqual(1, info.Progress.Epoch);
        Assert.AreEqual(StepsPerEpoch, info.Progress.GlobalStep);
        Assert.AreEqual(DataSeed, info.Progress.DataSeed);
        Assert.AreEqual(0.5, info.Progress.BestMetric);
        CollectionAssert.AreEqual(new[] { "a", "b", "c" }, info.ClassLabels!.ToArray());
        Assert.AreEqual("inceptionnext_atto", info.Args["model"]);
        Assert.IsTrue(info.HasEma);
        resumed.Step = info.Progress.GlobalStep;
        Assert.AreEqual(StepsPerEpoch, resumed.Schedule.T);
        Assert.AreEqual(StepsPerEpoch, resumed.Ema.Updates);
        resumed.TrainEpoch((int)info.Progress.Epoch);

        AssertSameBits(straight.Model.StateDict(), resumed.Model.StateDict(), "model");
        AssertSameBits(straight.Ema.Module.StateDict(), resumed.Ema.Module.StateDict(), "ema");
        AssertSameBits(OptimizerState(straight.Optimizer), OptimizerState(resumed.Optimizer), "optimizer");
        Assert.AreEqual(straight.Optimizer.LearningRate, resumed.Optimizer.LearningRate);
        Assert.AreEqual(straight.Optimizer.StepCount, resumed.Optimizer.StepCount);
        using var rngA = Torch.GetRngState();
        Assert.IsTrue(rngA.Numel > 0);
    }

    [TestMethod]
    public void WithoutRngRestoreDropoutMakesTheRunsDiffer()
    {
        using var dir = new TempDir();
        var path = dir.File("last.pth");
        using var straight = new Run(0, "adamw");
        straight.TrainEpoch(0);
        straight.Save(path, 1);
        straight.TrainEpoch(1);

        using var resumed = new Run(99, "adamw");
        Torch.ManualSeed(4321);
        TrainingCheckpoint.Load(path, resumed.Model, resumed.Optimizer, resumed.Schedule, resumed.Ema, restoreRng: false);
        resumed.Step = StepsPerEpoch;
        resumed.TrainEpoch(1);
        var a = straight.Model.StateDict();
        var b = resumed.Model.StateDict();
        Assert.IsTrue(a.Keys.Any(k => !a[k].Data.AsSpan().SequenceEqual(b[k].Data)), "drop path / dropout should draw from libtorch's RNG");
    }

    [TestMethod]
    public void RngStateRoundTrips()
    {
        Torch.ManualSeed(5);
        using var state = Torch.GetRngState();
        using var first = Torch.Rand([8]);
        Torch.SetRngState(state);
        using var again = Torch.Rand([8]);
        CollectionAssert.AreEqual(first.ToFloatArray(), again.ToFloatArray());
        using var bad = Torch.Zeros([3], ScalarType.UInt8);
        Assert.ThrowsExactly<TorchException>(() => Torch.SetRngState(bad));
    }

    [TestMethod]
    public void MismatchesGiveClearErrors()
    {
        using var dir = new TempDir();
        var path = dir.File("last.pth");
        using (var run = new Run(0, "adamw")) run.Save(path, 0);

        using (var sgd = new Run(0, "sgd"))
        {
            var e = Assert.ThrowsExactly<InvalidDataException>(() => TrainingCheckpoint.Load(path, sgd.Model, sgd.Optimizer));
            StringAssert.Contains(e.Message, "AdamW");
            StringAssert.Contains(e.Message, "Sgd");
        }
        using (var run = new Run(0, "adamw"))
        {
            var other = (Config() with { NumClasses = 4 }).ToJson();
            var e = Assert.ThrowsExactly<InvalidDataException>(() =>
                TrainingCheckpoint.Load(path, run.Model, run.Optimizer, expectedModelConfigJson: other));
            StringAssert.Contains(e.Message, "different model config");
        }
        Torch.ManualSeed(0);
        using (var bigger = ModelRegistry.Create(Config() with { NumClasses = 4 }))
        using (var opt = new AdamW(Optimizer.DecayGroups(bigger, 0.05)))
        {
            var e = Assert.ThrowsExactly<InvalidDataException>(() => TrainingCheckpoint.Load(path, bigger, opt));
            StringAssert.Contains(e.Message, "head.fc");
        }
        using (var run = new Run(0, "adamw"))
        using (var fewer = new AdamW(Optimizer.DecayGroups(run.Model, 0.05).Skip(1).ToList()))
        {
            var e = Assert.ThrowsExactly<InvalidDataException>(() => TrainingCheckpoint.Load(path, run.Model, fewer));
            StringAssert.Contains(e.Message, "parameters");
        }
        var weights = dir.File("weights.pth");
        using (var run = new Run(0, "adamw"))
        {
            Checkpoint.SaveStateDict(weights, run.Model.StateDict());
            var e = Assert.ThrowsExactly<InvalidDataException>(() => TrainingCheckpoint.Load(weights, run.Model, run.Optimizer));
            StringAssert.Contains(e.Message, "not a training checkpoint");
        }
    }

    // Throws half-way through pickling the checkpoint tree.
    private sealed class Exploding : IEnumerable<object?>
    {
        public IEnumerator<object?> GetEnumerator()
        {
            yield return 1L;
            throw new IOException("simulated crash while saving");
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [TestMethod]
    public void AFailedSaveLeavesThePreviousCheckpointIntact()
    {
        using var dir = new TempDir();
        var path = dir.File("last.pth");
        using var run = new Run(0, "adamw");
        run.Save(path, 0);
        var before = File.ReadAllBytes(path);
        run.TrainEpoch(0);

        Assert.ThrowsExactly<IOException>(() => TrainingCheckpoint.Save(path, run.Model, run.Optimizer, run.Schedule, run.Ema,
            new TrainingProgress(1, run.Step), args: new Dictionary<string, object?> { ["bad"] = new Exploding() }));
        CollectionAssert.AreEqual(before, File.ReadAllBytes(path));

        // The write itself fails (the temporary file cannot be created): the target is still the old, complete file.
        Directory.CreateDirectory(path + ".tmp");
        Assert.ThrowsExactly<UnauthorizedAccessException>(() => run.Save(path, 1), "a directory in the way of the temporary file");
        CollectionAssert.AreEqual(before, File.ReadAllBytes(path));
        Directory.Delete(path + ".tmp");

        run.Save(path, 1);
        Assert.IsFalse(File.Exists(path + ".tmp"));
        Assert.AreEqual(1, TrainingCheckpoint.ReadInfo(path).Progress.Epoch);
    }

    [TestMethod]
    public void PyTorchCanReadTheCheckpoint()
    {
        PythonRunner.RequireTorch();
        using var dir = new TempDir();
        var path = dir.File("last.pth");
        using (var run = new Run(0, "adamw"))
        {
            run.TrainEpoch(0);
            run.Save(path, 1);
        }
        var output = PythonRunner.Run("""
import sys, torch
c = torch.load(sys.argv[1])
print(sorted(c.keys()))
print(c["optimizer"]["type"], c["optimizer"]["step"], len(c["optimizer"]["exp_avg"]), c["epoch"], c["rng"]["torch_cpu"].dtype)
print(c["model"]["head.fc2.weight"].shape if "head.fc2.weight" in c["model"] else list(c["model"].keys())[-1])
torch.set_rng_state(c["rng"]["torch_cpu"])
""", path);
        StringAssert.Contains(output, "'ema'");
        StringAssert.Contains(output, "'scheduler'");
        StringAssert.Contains(output, $"AdamW {StepsPerEpoch}");
        StringAssert.Contains(output, "torch.uint8");
    }
}
