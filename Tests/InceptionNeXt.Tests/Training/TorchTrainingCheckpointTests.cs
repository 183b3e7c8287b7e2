using System.Collections;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;
using InceptionNeXt.Training.TorchTraining;
using InceptionNeXt.Training.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using ImageClassifier = InceptionNeXt.Training.TorchModels.ImageClassifier;

namespace InceptionNeXt.Tests.Training;

/// <summary>
/// Resume equality on TorchSharp: 2 epochs straight vs 1 epoch, save, load into fresh instances (other init seed,
/// other RNG state), 1 epoch: the same bits. Dropout and drop path are on, so libtorch's RNG state must be restored too.
/// </summary>
[TestClass]
public sealed class TorchTrainingCheckpointTests
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
            manual_seed(initSeed);
            Model = TorchModelRegistry.Create(Config());
            var emaModel = TorchModelRegistry.Create(Config());
            Optimizer = optimizer == "adamw"
                ? TorchOptimizers.AdamW(Model, 1e-3, 0.05)
                : TorchOptimizers.Sgd(Model, 0.05, 0.05, momentum: 0.9, nesterov: true);
            Schedule = CosineLrSchedule.ForEpochs(optimizer == "adamw" ? 1e-3 : 0.05, epochs: 2, warmupEpochs: 1, updatesPerEpoch: StepsPerEpoch,
                minLr: 1e-5, warmupLr: 1e-5);
            Schedule.Start(Optimizer, 0, StepsPerEpoch);
            Ema = new TorchModelEma(Model, emaModel, 0.9, warmup: true);
        }

        public ImageClassifier Model { get; }
        public optim.Optimizer Optimizer { get; }
        public CosineLrSchedule Schedule { get; }
        public TorchModelEma Ema { get; }
        public Mixup Mixup { get; } = new(new MixupOptions(3));
        public long Step;

        // Data order and augmentation are a pure function of (seed, epoch): System.Random for the pipeline.
        public void TrainEpoch(int epoch)
        {
            var random = new Random(unchecked((int)(DataSeed * 1000 + epoch)));
            Model.train();
            for (var b = 0; b < StepsPerEpoch; b++)
            {
                using var scope = NewDisposeScope();
                var pixels = new float[4 * 3 * 16 * 16];
                for (var i = 0; i < pixels.Length; i++) pixels[i] = (float)(random.NextDouble() * 2 - 1);
                var labels = Enumerable.Range(0, 4).Select(_ => (long)random.Next(3)).ToArray();
                var x = tensor(pixels, new long[] { 4, 3, 16, 16 });
                var y = tensor(labels, new long[] { 4 });
                var mixed = Mixup.Apply(x, y, random);
                var logits = Model.call(mixed.Images);
                var loss = TorchLosses.SoftTargetCrossEntropy(logits, mixed.Targets);
                Optimizer.zero_grad();
                loss.backward();
                nn.utils.clip_grad_norm_(Model.parameters(), 5.0);
                Optimizer.step();
                Step++;
                Schedule.StepUpdate(Optimizer, Step);
                Ema.Update();
            }
            Schedule.StepEpoch(Optimizer, epoch + 1);
        }

        public void Save(string path, int epochsDone) => TorchTrainingCheckpoint.Save(path, Model, Optimizer, Schedule, Ema,
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

    // Every per-parameter state tensor of TorchSharp's AdamW or SGD, in the optimizer's order.
    private static StateDict OptimizerState(optim.Optimizer optimizer)
    {
        var sd = new StateDict();
        var states = ((OptimizerHelper)optimizer).state_dict().State;
        for (var i = 0; i < states.Count; i++)
        {
            switch (states[i])
            {
                case AdamW.State a:
                    sd.Add($"exp_avg.{i}", a.exp_avg.ToTensorData());
                    sd.Add($"exp_avg_sq.{i}", a.exp_avg_sq.ToTensorData());
                    sd.Add($"step.{i}", TensorData.ScalarInt64(a.step));
                    break;
                case SGD.State s:
                    sd.Add($"momentum_buffer.{i}", s.momentum_buffer!.ToTensorData());
                    break;
            }
        }
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
        manual_seed(4321); // Any RNG state: the checkpoint must restore it.
        var info = TorchTrainingCheckpoint.Load(path, resumed.Model, resumed.Optimizer, resumed.Schedule, resumed.Ema,
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

        AssertSameBits(straight.Model.ToStateDict(), resumed.Model.ToStateDict(), "model");
        AssertSameBits(straight.Ema.Module.ToStateDict(), resumed.Ema.Module.ToStateDict(), "ema");
        AssertSameBits(OptimizerState(straight.Optimizer), OptimizerState(resumed.Optimizer), "optimizer");
        Assert.AreEqual(CosineLrSchedule.CurrentRate(straight.Optimizer), CosineLrSchedule.CurrentRate(resumed.Optimizer));
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
        manual_seed(4321);
        TorchTrainingCheckpoint.Load(path, resumed.Model, resumed.Optimizer, resumed.Schedule, resumed.Ema, restoreRng: false);
        resumed.Step = StepsPerEpoch;
        resumed.TrainEpoch(1);
        var a = straight.Model.ToStateDict();
        var b = resumed.Model.ToStateDict();
        Assert.IsTrue(a.Keys.Any(k => !a[k].Data.AsSpan().SequenceEqual(b[k].Data)), "drop path / dropout should draw from libtorch's RNG");
    }

    [TestMethod]
    public void MismatchesGiveClearErrors()
    {
        using var dir = new TempDir();
        var path = dir.File("last.pth");
        using (var run = new Run(0, "adamw")) run.Save(path, 0);

        using (var sgd = new Run(0, "sgd"))
        {
            var e = Assert.ThrowsExactly<InvalidDataException>(() => TorchTrainingCheckpoint.Load(path, sgd.Model, sgd.Optimizer));
            StringAssert.Contains(e.Message, "AdamW");
            StringAssert.Contains(e.Message, "Sgd");
        }
        using (var run = new Run(0, "adamw"))
        {
            var other = (Config() with { NumClasses = 4 }).ToJson();
            var e = Assert.ThrowsExactly<InvalidDataException>(() =>
                TorchTrainingCheckpoint.Load(path, run.Model, run.Optimizer, expectedModelConfigJson: other));
            StringAssert.Contains(e.Message, "different model config");
        }
        manual_seed(0);
        using (var bigger = TorchModelRegistry.Create(Config() with { NumClasses = 4 }))
        using (var opt = TorchOptimizers.AdamW(bigger, 1e-3, 0.05))
        {
            var e = Assert.ThrowsExactly<InvalidDataException>(() => TorchTrainingCheckpoint.Load(path, bigger, opt));
            StringAssert.Contains(e.Message, "head.fc");
        }
        using (var run = new Run(0, "adamw"))
        {
            // The stem left out of the optimizer (frozen): fewer parameters than the checkpoint's optimizer had.
            foreach (var (name, p) in run.Model.named_parameters())
                if (name.StartsWith("stem.", StringComparison.Ordinal)) p.requires_grad = false;
            using var fewer = TorchOptimizers.AdamW(run.Model, 1e-3, 0.05);
            var e = Assert.ThrowsExactly<InvalidDataException>(() => TorchTrainingCheckpoint.Load(path, run.Model, fewer));
            StringAssert.Contains(e.Message, "parameters");
        }
        var weights = dir.File("weights.pth");
        using (var run = new Run(0, "adamw"))
        {
            Checkpoint.SaveStateDict(weights, run.Model.ToStateDict());
            var e = Assert.ThrowsExactly<InvalidDataException>(() => TorchTrainingCheckpoint.Load(weights, run.Model, run.Optimizer));
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

        Assert.ThrowsExactly<IOException>(() => TorchTrainingCheckpoint.Save(path, run.Model, run.Optimizer, run.Schedule, run.Ema,
            new TrainingProgress(1, run.Step), args: new Dictionary<string, object?> { ["bad"] = new Exploding() }));
        CollectionAssert.AreEqual(before, File.ReadAllBytes(path));

        // The temporary file has a name of its own (issue 14: two writers never share one) and none is left behind.
        Assert.IsEmpty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));

        run.Save(path, 1);
        Assert.IsEmpty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
        Assert.AreEqual(1, TorchTrainingCheckpoint.ReadInfo(path).Progress.Epoch);
    }

    [TestMethod]
    public void LoadTrainedModelRebuildsTheNetworkFromTheCheckpoint()
    {
        using var dir = new TempDir();
        var path = dir.File("last.pth");
        using var run = new Run(0, "adamw");
        run.TrainEpoch(0);
        run.Save(path, 1);
        var (model, info, size, crop) = TorchTrainingCheckpoint.LoadTrainedModel(path, useEma: true);
        using (model)
        {
            Assert.AreEqual("inceptionnext_atto", info.Args["model"]);
            Assert.AreEqual(Config().Preprocessing.InputSize, size, "no image_size argument: the config's");
            Assert.AreEqual(Config().Preprocessing.CropPct, crop);
            Assert.IsFalse(model.training);
            AssertSameBits(run.Ema.Module.ToStateDict(), model.ToStateDict(), "ema weights");
        }
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
""", path);
        StringAssert.Contains(output, "'ema'");
        StringAssert.Contains(output, "'scheduler'");
        StringAssert.Contains(output, $"AdamW {StepsPerEpoch}");
        StringAssert.Contains(output, "torch.uint8");
    }
}
