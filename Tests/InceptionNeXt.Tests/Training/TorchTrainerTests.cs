using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.TorchModels;
using InceptionNeXt.Training.TorchTraining;
using InceptionNeXt.Training.Training;

namespace InceptionNeXt.Tests.Training;

/// <summary>The whole TorchSharp training loop on a small generated image folder: logs, checkpoints, report, resume, bad files.</summary>
[TestClass]
public sealed class TorchTrainerTests
{
    [TestMethod]
    public void TrainsLogsCheckpointsAndResumes()
    {
        using var dir = new TempDir();
        var data = Path.Combine(dir.Path, "data");
        PythonRunner.RequirePython();
        PythonRunner.Run("""
            import os, sys, numpy as np
            from PIL import Image
            rng = np.random.default_rng(0)
            for cls in ["horizontal", "vertical"]:
                os.makedirs(f"{sys.argv[1]}/{cls}")
                for i in range(40):
                    yy, xx = np.mgrid[0:24, 0:24] + 0.5
                    period = 3 + rng.random() * 5
                    on = (((yy if cls == "horizontal" else xx)) % period) < period / 2
                    img = np.where(on[..., None], rng.integers(0, 256, 3), rng.integers(0, 256, 3))
                    Image.fromarray(img.astype(np.uint8)).save(f"{sys.argv[1]}/{cls}/{i:02d}.png")
            open(f"{sys.argv[1]}/vertical/broken.png", "wb").write(b"\x89PNG\r\n\x1a\n broken")
            """, data);
        var options = new TrainOptions
        {
            Data = data, Model = "inceptionnext_atto", Output = Path.Combine(dir.Path, "run"), Epochs = 3, BatchSize = 16, Lr = 2e-3,
            WarmupEpochs = 1, AutoAugment = null, ReProb = 0.25, Workers = 2, Threads = 2, ValidationFraction = 0.25, ModelEma = true,
        };
        var lines = new List<string>();
        // Two epochs, then a resumed run that finishes the third.
        using (var cancel = new CancellationTokenSource())
        {
            var result = new TorchTrainer(options with { Epochs = 2 }, lines.Add).Run(cancel.Token);
            Assert.AreEqual(2, result.Epochs);
            Assert.IsFalse(result.Stopped);
        }
        var info = TorchTrainingCheckpoint.ReadInfo(Path.Combine(options.Output, "last.pth"));
        Assert.AreEqual(2L, info.Progress.Epoch);
        Assert.IsTrue(info.HasEma);
        Assert.AreEqual("AdamW", info.OptimizerType);
        CollectionAssert.AreEqual(new[] { "horizontal", "vertical" }, info.ClassLabels!.ToArray());

        var resumed = new TorchTrainer(options with { Resume = Path.Combine(options.Output, "last.pth") }, lines.Add).Run();
        Assert.AreEqual(1, resumed.Epochs, string.Join("\n", lines));
        var csv = File.ReadAllLines(Path.Combine(options.Output, "log.csv"));
        Assert.AreEqual(4, csv.Length, "header + 3 epochs across the resume");
        StringAssert.StartsWith(csv[3], "3,");
        Assert.IsTrue(csv.Skip(1).Sum(l => int.Parse(l.Split(',')[8], System.Globalization.CultureInfo.InvariantCulture)) >= 1,
            "the broken image is skipped and counted");
        Assert.AreEqual(3, File.ReadAllLines(Path.Combine(options.Output, "log.jsonl")).Length);
        var report = File.ReadAllText(Path.Combine(options.Output, "report.html"));
        StringAssert.Contains(report, "<svg");
        StringAssert.Contains(report, "horizontal");
        Assert.IsFalse(report.Contains("<script", StringComparison.Ordinal));
        Assert.IsTrue(File.Exists(Path.Combine(options.Output, "best.pth")));
        Assert.IsTrue(lines.Any(l => l.StartsWith("top-1: ", StringComparison.Ordinal)), "the last line reports top-1");
        Assert.IsTrue(resumed.Last.Count > 0 && resumed.Last.Top1 is >= 0 and <= 100);

        // The checkpoint exports to ONNX with its labels and input size; `validate` gives the same numbers for both.
        var onnx = Path.Combine(options.Output, "model.onnx");
        TorchOnnxExporter.ExportTrainingCheckpoint(Path.Combine(options.Output, "best.pth"), onnx);
        using (var exported = new InceptionNeXt.ML.Inference.OnnxImageClassifier(onnx))
        {
            Assert.AreEqual("inceptionnext_atto", exported.Info.ModelName, "the registry name travels with the checkpoint");
            CollectionAssert.AreEqual(new[] { "horizontal", "vertical" }, exported.Labels.ToArray());
        }
        var fromCheckpoint = RunCli("validate", "--model", Path.Combine(options.Output, "best.pth"), "--data", data, "--threads", "2");
        var fromOnnx = RunCli("validate", "--model", onnx, "--data", data, "--threads", "2");
        var top1 = fromCheckpoint.Split('\n').Single(l => l.StartsWith("top-1: ", StringComparison.Ordinal));
        Assert.AreEqual(top1, fromOnnx.Split('\n').Single(l => l.StartsWith("top-1: ", StringComparison.Ordinal)), fromOnnx);
        StringAssert.Contains(fromCheckpoint, "horizontal");

        // `export --weights` recognises a training checkpoint and keeps its labels.
        var cliOnnx = Path.Combine(options.Output, "cli.onnx");
        RunCli("export", "--model", "inceptionnext_atto", "--weights", Path.Combine(options.Output, "last.pth"), "--output", cliOnnx);
        using (var exported = new InceptionNeXt.ML.Inference.OnnxImageClassifier(cliOnnx))
            CollectionAssert.AreEqual(new[] { "horizontal", "vertical" }, exported.Labels.ToArray());
    }

    [TestMethod]
    public void CancellingLeavesAResumableCheckpoint()
    {
        using var dir = new TempDir();
        var data = Path.Combine(dir.Path, "data");
        PythonRunner.RequirePython();
        PythonRunner.Run("""
            import os, sys, numpy as np
            from PIL import Image
            rng = np.random.default_rng(1)
            for cls in ["a", "b"]:
                os.makedirs(f"{sys.argv[1]}/{cls}")
                for i in range(24):
                    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(f"{sys.argv[1]}/{cls}/{i:02d}.png")
            """, data);
        var options = new TrainOptions
        {
            Data = data, Model = "inceptionnext_atto", Output = Path.Combine(dir.Path, "run"), Epochs = 2, BatchSize = 4, Lr = 1e-3,
            Workers = 1, Threads = 2, ValidationFraction = 0.25,
        };
        using var cancel = new CancellationTokenSource();
        var steps = 0;
        var result = new TorchTrainer(options, _ => { })
        {
            OnStep = s =>
            {
                if (++steps == 3) cancel.Cancel();
            },
        }.Run(cancel.Token);
        Assert.IsTrue(result.Stopped);
        var info = TorchTrainingCheckpoint.ReadInfo(result.CheckpointPath);
        Assert.AreEqual(0L, info.Progress.Epoch, "stopped inside the first epoch");
        Assert.AreEqual(3L, info.Progress.GlobalStep);
        Assert.AreEqual(3L, info.Progress.DataPosition, "the data position to continue from");

        var resumed = new TorchTrainer(options with { Resume = result.CheckpointPath }, _ => { }).Run();
        Assert.IsFalse(resumed.Stopped);
        Assert.AreEqual(2, resumed.Epochs);
        Assert.AreEqual(2L, TorchTrainingCheckpoint.ReadInfo(resumed.CheckpointPath).Progress.Epoch);
    }

    [TestMethod]
    public void CliTrainRunsAnEpochAndFreezesStages()
    {
        using var dir = new TempDir();
        var data = Path.Combine(dir.Path, "data");
        PythonRunner.RequirePython();
        PythonRunner.Run("""
            import os, sys, numpy as np
            from PIL import Image
            rng = np.random.default_rng(2)
            for cls in ["a", "b"]:
                os.makedirs(f"{sys.argv[1]}/{cls}")
                for i in range(16):
                    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(f"{sys.argv[1]}/{cls}/{i:02d}.png")
            """, data);
        var output = Path.Combine(dir.Path, "run");
        var stdout = RunCli("train", "--data", data, "--model", "inceptionnext_atto", "--output", output, "--epochs", "1",
            "--batch-size", "4", "--threads", "2", "--workers", "1", "--freeze-stages", "2", "--val-fraction", "0.25");
        StringAssert.Contains(stdout, "frozen: stem and stages 0-1");
        StringAssert.Contains(stdout, "top-1: ");
        var info = TorchTrainingCheckpoint.ReadInfo(Path.Combine(output, "last.pth"));
        Assert.AreEqual(1L, info.Progress.Epoch);
        Assert.AreEqual("inceptionnext_atto", info.Args["model"]);
    }

    [TestMethod]
    public void LearnsATwoClassShapesProblemInSeconds()
    {
        // Red vs blue shapes (discs, squares, triangles at random places and sizes, on noisy backgrounds; JPEG and PNG).
        using var dir = new TempDir();
        var data = Path.Combine(dir.Path, "shapes");
        PythonRunner.RequirePython();
        PythonRunner.Run("""
            import os, sys, numpy as np
            from PIL import Image, ImageDraw
            rng = np.random.default_rng(7)
            for cls, colour in [("blue", (40, 60, 220)), ("red", (220, 50, 40))]:
                os.makedirs(f"{sys.argv[1]}/{cls}")
                for i in range(60):
                    img = Image.fromarray(rng.integers(90, 170, (32, 32, 3), dtype=np.uint8))
                    d = ImageDraw.Draw(img)
                    x, y, r = rng.integers(8, 24), rng.integers(8, 24), rng.integers(4, 9)
                    c = tuple(int(v) for v in np.clip(np.array(colour) + rng.integers(-30, 30, 3), 0, 255))
                    kind = i % 3
                    if kind == 0: d.ellipse([x - r, y - r, x + r, y + r], fill=c)
                    elif kind == 1: d.rectangle([x - r, y - r, x + r, y + r], fill=c)
                    else: d.polygon([(x, y - r), (x - r, y + r), (x + r, y + r)], fill=c)
                    img.save(f"{sys.argv[1]}/{cls}/{i:02d}." + ("png" if i % 2 else "jpg"), quality=90)
            """, data);
        var result = new TorchTrainer(new TrainOptions
        {
            Data = data, Model = "inceptionnext_atto", Output = Path.Combine(dir.Path, "run"), Epochs = 6, BatchSize = 16, Lr = 2e-3,
            Workers = 2, Threads = 2, ValidationFraction = 0.25, Seed = 3,
        }, _ => { }).Run();
        Assert.IsTrue(result.Last.Top1 >= 95, $"held-out top-1 {result.Last.Top1:F1}% after {result.Epochs} epochs");
    }

    [TestMethod]
    public void BadArgumentsAndDataAreRejectedClearly()
    {
        using var dir = new TempDir();
        var missing = Assert.Throws<Exception>(() => new TorchTrainer(new TrainOptions { Data = dir.File("nope"), Model = "inceptionnext_atto", Output = dir.File("o") }).Run());
        StringAssert.Contains(missing.Message, "nope");
        Assert.ThrowsExactly<ArgumentException>(() => new TorchTrainer(new TrainOptions { Data = dir.Path, Model = "x", Output = dir.Path, BatchSize = 1 }));
        var cuda = Assert.ThrowsExactly<ArgumentException>(() => TorchTrainer.ParseDevice("cuda:0"));
        StringAssert.Contains(cuda.Message, "CUDA");
        Assert.AreEqual(TorchSharp.DeviceType.CPU, TorchTrainer.ParseDevice("cpu").type);
    }

    private static string RunCli(params string[] args)
    {
        var (code, stdout, stderr) = ProcessRunner.RunCli(args);
        Assert.AreEqual(0, code, stderr);
        return stdout;
    }
}
