using InceptionNeXt.ML.MLNet;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.MLNet;
using InceptionNeXt.Training.Training;
using Microsoft.ML;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>The ML.NET trainer with <c>Architecture = "iformer_small"</c>: trains, exports its ONNX scorer and scores every row.</summary>
[TestClass]
public sealed class IFormerTrainerTests
{
    [TestMethod]
    public void TheMLNetTrainerTrainsAndScoresIFormer()
    {
        PythonRunner.RequirePython();
        using var dir = new TempDir();
        var data = Path.Combine(dir.Path, "colours");
        PythonRunner.Run("""
            import os, sys, numpy as np
            from PIL import Image
            rng = np.random.default_rng(2)
            for c, cls in enumerate(["red", "green", "blue"]):
                os.makedirs(f"{sys.argv[1]}/{cls}")
                for i in range(8):
                    img = rng.integers(0, 90, (24, 24, 3))
                    img[..., c] += 120
                    Image.fromarray(img.clip(0, 255).astype(np.uint8)).save(f"{sys.argv[1]}/{cls}/{i:02d}.png")
            """, data);
        var ml = new MLContext(seed: 1);
        var images = ml.Data.LoadFromImageFolder(data);
        var epochs = new List<EpochRecord>();
        var options = new InceptionNeXtTrainerOptions
        {
            Architecture = "iformer_small", Epochs = 1, BatchSize = 8, LearningRate = 1e-3, Threads = 2, Workers = 1,
            ValidationFraction = 0.25, ImageSize = 32, MetricsCallback = epochs.Add,
        };
        var model = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.InceptionNeXt(options)).Fit(images);
        Assert.AreEqual(1, epochs.Count);
        Assert.IsTrue(double.IsFinite(epochs[0].TrainLoss), $"train loss {epochs[0].TrainLoss}");
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(images));
        Assert.AreEqual(3, metrics.ConfusionMatrix.NumberOfClasses);
        CollectionAssert.AreEquivalent(new[] { "blue", "green", "red" }, model.LastTransformer.Labels.ToArray());
    }
}
