using InceptionNeXt.ML.MLNet;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.MLNet;
using InceptionNeXt.Training.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>
/// mlContext.MulticlassClassification.Trainers.InceptionNeXt: trains with TorchSharp inside an ML.NET pipeline on a
/// class-per-folder dataset, Evaluate reads its output, and the model.zip predicts the same in a fresh process (ONNX only).
/// </summary>
[TestClass]
public sealed class TrainerTests
{
    private static readonly Lazy<(TempDir Dir, string Data)> Colours = new(() =>
    {
        PythonRunner.RequirePython();
        var dir = new TempDir();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => dir.Dispose();
        var data = Path.Combine(dir.Path, "stripes");
        // Three classes a small network tells apart in a few dozen updates (the dominant colour channel, on noise and random
        // stripes), so a wrong key-to-class mapping shows as a low accuracy.
        PythonRunner.Run("""
            import os, sys, numpy as np
            from PIL import Image
            rng = np.random.default_rng(1)
            for c, cls in enumerate(["red", "green", "blue"]):
                os.makedirs(f"{sys.argv[1]}/{cls}")
                for i in range(32):
                    yy, xx = np.mgrid[0:24, 0:24] + 0.5
                    period = 3 + rng.random() * 5
                    on = ((yy if i % 2 else xx) % period) < period / 2
                    img = rng.integers(0, 90, (24, 24, 3)) + np.where(on, 60, 0)[..., None]
                    img[..., c] += 100
                    Image.fromarray(img.clip(0, 255).astype(np.uint8)).save(f"{sys.argv[1]}/{cls}/{i:02d}.png")
            """, data);
        return (dir, data);
    });

    private static InceptionNeXtTrainerOptions Options(string? workingDirectory = null) => new()
    {
        Epochs = 4, BatchSize = 8, LearningRate = 2e-3, Threads = 2, Workers = 2, ValidationFraction = 0.25, WorkingDirectory = workingDirectory,
    };

    [TestMethod]
    public void FitsInAPipelineEvaluatesAndTheSavedModelPredictsTheSameInAFreshProcess()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromImageFolder(Colours.Value.Data);
        var epochs = new List<EpochRecord>();
        var steps = 0;
        var options = Options(Colours.Value.Dir.File("run"));
        options.MetricsCallback = epochs.Add;
        options.ProgressCallback = _ => steps++;
        var trainer = ml.MulticlassClassification.Trainers.InceptionNeXt(options);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(trainer);

        var model = pipeline.Fit(data);

        Assert.AreEqual(4, epochs.Count, "one metrics callback per epoch");
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4 }, epochs.Select(e => e.Epoch).ToArray());
        Assert.IsTrue(steps >= 4 * 4, $"progress after every update ({steps})");
        Assert.IsNotNull(trainer.LastResult);
        foreach (var file in new[] { "best.pth", "last.pth", "log.csv", "report.html", "model.onnx" })
            Assert.IsTrue(File.Exists(Path.Combine(options.WorkingDirectory!, file)), file + " stays in the working directory");

        var scorer = model.LastTransformer;
        CollectionAssert.AreEqual(new[] { "blue", "green", "red" }, scorer.Labels.ToArray(), "classes in key order (first seen first; the folder loader sorts paths)");
        var scored = model.Transform(data);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        Assert.IsTrue(metrics.MicroAccuracy > 0.9, $"the colours are learnt: accuracy {metrics.MicroAccuracy:P1}, epochs {string.Join(" ", epochs.Select(e => e.Top1))}");
        Assert.AreEqual(3, metrics.ConfusionMatrix.NumberOfClasses);

        // The fitted scorer alone (ONNX inside, no libtorch) in a fresh process gives the same outputs bit for bit.
        var images = data.GetColumn<string>("ImagePath").Where((_, i) => i % 8 == 0).ToArray();
        var rows = ml.Data.LoadFromEnumerable(images.Select(p => new ImagePathRow { ImagePath = p }));
        var expected = SaveLoadTests.Describe(scorer.Transform(rows), rows.Schema.Count);
        var zip = Colours.Value.Dir.File("trained-scorer.zip");
        ml.Model.Save(scorer, rows.Schema, zip);
        var (code, stdout, stderr) = ProcessRunner.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "InceptionNeXt.MLNetProbe.dll"), zip, "ImagePath", .. images]);
        Assert.AreEqual(0, code, stderr);
        CollectionAssert.AreEqual(expected, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList(), stdout);

        // The whole chain (key mapping + scorer) saved and loaded here evaluates the same.
        var chainZip = Colours.Value.Dir.File("trained-chain.zip");
        ml.Model.Save(model, data.Schema, chainZip);
        var loaded = ml.Model.Load(chainZip, out _);
        Assert.AreEqual(metrics.MicroAccuracy, ml.MulticlassClassification.Evaluate(loaded.Transform(data)).MicroAccuracy);
    }

    [TestMethod]
    public void TakesAValidationSetWithTheSameKeysAndStopsEarly()
    {
        var ml = new MLContext(seed: 1);
        var split = ml.Data.TrainTestSplit(ml.Data.LoadFromImageFolder(Colours.Value.Data), testFraction: 0.25, seed: 3);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(split.TrainSet);
        var epochs = new List<EpochRecord>();
        var options = Options();
        options.Epochs = 12;
        options.EarlyStoppingPatience = 1;
        options.ValidationSet = keys.Transform(split.TestSet);
        options.MetricsCallback = epochs.Add;
        var lines = new List<string>();
        ml.Log += (_, e) => { if (e.Source.Contains(nameof(InceptionNeXtTrainer), StringComparison.Ordinal)) lines.Add(e.Message); };
        var trainer = ml.MulticlassClassification.Trainers.InceptionNeXt(options);

        trainer.Fit(keys.Transform(split.TrainSet));

        // Early stopping: the run ends at the first epoch that does not beat the best before it.
        Assert.IsTrue(epochs.Count < 12, "the colours reach their best well before 12 epochs: " + string.Join(" ", epochs.Select(e => e.Top1)));
        var best = epochs.SkipLast(1).Max(e => e.Top1);
        Assert.IsTrue(epochs[^1].Top1 <= best, string.Join(" ", epochs.Select(e => e.Top1)));
        Assert.IsTrue(lines.Any(l => l.Contains("early stopping", StringComparison.Ordinal)), string.Join("\n", lines));
        Assert.AreEqual(split.TestSet.GetColumn<string>("ImagePath").Count(), trainer.LastResult!.Last.Count, "validated on the given set");
        Assert.IsFalse(Directory.EnumerateDirectories(Path.GetTempPath(), "inceptionnext-trainer-*").Any(),
            "the temporary working directory is deleted");

        // A validation set whose keys were mapped on its own rows (other key values) is refused before training.
        var withoutRed = ml.Data.FilterByCustomPredicate<LabelRow>(split.TestSet, r => r.Label == "red"); // true drops the row
        options.ValidationSet = ml.Transforms.Conversion.MapValueToKey("Label").Fit(withoutRed).Transform(withoutRed);
        var e = Assert.ThrowsExactly<ArgumentException>(() => ml.MulticlassClassification.Trainers.InceptionNeXt(options).Fit(keys.Transform(split.TrainSet)));
        StringAssert.Contains(e.Message, "same fitted MapValueToKey");
    }

    [TestMethod]
    public void BadColumnsAndSettingsAreRefusedWithHowToFixThem()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromImageFolder(Colours.Value.Data);

        var text = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.InceptionNeXt(Options()).Fit(data));
        StringAssert.Contains(text.Message, "MapValueToKey(\"Label\")");

        var noImage = Options();
        noImage.ImageColumnName = "Picture";
        var missing = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.MulticlassClassification.Trainers.InceptionNeXt(noImage).Fit(ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data)));
        StringAssert.Contains(missing.Message, "Picture");
        StringAssert.Contains(missing.Message, "ImagePath", "the message lists the columns there are");

        var oneClass = ml.Data.FilterByCustomPredicate<LabelRow>(data, r => r.Label != "red");
        var single = Assert.ThrowsExactly<InvalidOperationException>(() =>
            ml.MulticlassClassification.Trainers.InceptionNeXt(Options()).Fit(ml.Transforms.Conversion.MapValueToKey("Label").Fit(oneClass).Transform(oneClass)));
        StringAssert.Contains(single.Message, "at least 2");

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.InceptionNeXt(new InceptionNeXtTrainerOptions { Architecture = "resnet50" }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.InceptionNeXt(new InceptionNeXtTrainerOptions { BatchSize = 1 }));
        Assert.ThrowsExactly<FileNotFoundException>(() => ml.MulticlassClassification.Trainers.InceptionNeXt(new InceptionNeXtTrainerOptions { PretrainedWeights = "no-such.pth" }));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.MulticlassClassification.Trainers.InceptionNeXt(
            new InceptionNeXtTrainerOptions { Scorer = new InceptionNeXtScorerOptions { BatchSize = 0 } }));
    }

    private sealed class LabelRow
    {
        public string Label { get; set; } = "";
    }
}
