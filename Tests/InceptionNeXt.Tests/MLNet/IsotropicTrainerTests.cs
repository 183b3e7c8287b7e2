using InceptionNeXt.ML.MLNet;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.MLNet;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchTraining;
using Microsoft.ML;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>
/// The ML.NET trainer with the isotropic architecture names: a one-epoch fit of inceptionnext_isotropic_small runs
/// TorchSharp training (its one stage frozen by FreezeStages 1), writes a checkpoint whose config says isotropic, exports
/// ONNX and scores through ML.NET.
/// </summary>
[TestClass]
public sealed class IsotropicTrainerTests
{
    [TestMethod]
    public void IsotropicArchitecturesAreAcceptedAndTrainThroughMLNet()
    {
        PythonRunner.RequirePython();
        using var dir = new TempDir();
        var data = Path.Combine(dir.Path, "colours");
        PythonRunner.Run("""
            import os, sys, numpy as np
            from PIL import Image
            rng = np.random.default_rng(4)
            for c, cls in [(0, "red"), (2, "blue")]:
                os.makedirs(f"{sys.argv[1]}/{cls}")
                for i in range(8):
                    img = rng.integers(0, 90, (16, 16, 3))
                    img[..., c] += 120
                    Image.fromarray(img.clip(0, 255).astype(np.uint8)).save(f"{sys.argv[1]}/{cls}/{i:02d}.png")
            """, data);
        foreach (var name in ModelRegistry.Names.Where(n => n.Contains("_isotropic_", StringComparison.Ordinal)))
            Assert.IsNotNull(new MLContext().MulticlassClassification.Trainers.InceptionNeXt(new InceptionNeXtTrainerOptions { Architecture = name }), name);

        var ml = new MLContext(seed: 1);
        var work = dir.File("run");
        var options = new InceptionNeXtTrainerOptions
        {
            Architecture = "inceptionnext_isotropic_small", Epochs = 1, BatchSize = 4, ImageSize = 16, Threads = 2, Workers = 1,
            ValidationFraction = 0.25, WorkingDirectory = work, FreezeStages = 1,
        };
        var lines = new List<string>();
        ml.Log += (_, e) => { if (e.Source.Contains(nameof(InceptionNeXtTrainer), StringComparison.Ordinal)) lines.Add(e.Message); };
        var images = ml.Data.LoadFromImageFolder(data);
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.InceptionNeXt(options)).Fit(images);

        var info = TorchTrainingCheckpoint.ReadInfo(Path.Combine(work, "last.pth"));
        var config = ModelConfig.FromJson(info.ModelConfigJson!);
        Assert.IsTrue(config.Isotropic, info.ModelConfigJson);
        CollectionAssert.AreEqual(new[] { 384 }, config.Dims);
        Assert.IsTrue(File.Exists(Path.Combine(work, "model.onnx")));
        // One stage: freezing it freezes the stem (2x2 patches on small images: 4,992) and all 18 blocks (21,311,424),
        // leaving only the final norm and the 2-class head trainable.
        var frozen = lines.Single(l => l.Contains("frozen: stem and stages 0-0", StringComparison.Ordinal));
        StringAssert.Contains(frozen.Replace(",", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal), "21316416", frozen);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(images));
        Assert.AreEqual(2, metrics.ConfusionMatrix.NumberOfClasses);
    }
}
