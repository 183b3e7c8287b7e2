using InceptionNeXt.ML.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>The featurizer as it is meant to be used: features for an ML.NET trainer, unreadable rows left out of training.</summary>
[TestClass]
public sealed class TransferLearningTests
{
    [TestMethod]
    public void AnMLNetTrainerLearnsOnTheFeaturesAndSkipsUnreadableRows()
    {
        var ml = new MLContext(seed: 1);
        var warnings = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind == ChannelMessageKind.Warning)
                lock (warnings) warnings.Add(e.Message);
        };
        var rows = MLNetFixture.Images.Select((p, i) => new ImagePathRow { ImagePath = p, Label = i % 2 == 0 ? "even" : "odd" })
            .Append(new ImagePathRow { ImagePath = MLNetFixture.NotAnImage, Label = "odd" }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", MLNetFixture.ModelPath,
                new() { OnUnreadableImage = UnreadableImagePolicy.Skip }))
            .Append(ml.Transforms.NormalizeMeanVariance("Features"))
            .AppendCacheCheckpoint(ml)
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(l2Regularization: 1e-4f, optimizationTolerance: 1e-9f))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        var model = pipeline.Fit(data);

        // Seven random images, 320 normalised features: the head separates its training set.
        var predicted = model.Transform(data).GetColumn<string>("PredictedLabel").ToArray();
        Assert.AreEqual(string.Join(",", rows.Take(7).Select(r => r.Label)), string.Join(",", predicted.Take(7)));
        Assert.IsTrue(warnings.Any(w => w.Contains("notes.png", StringComparison.Ordinal)), string.Join("\n", warnings));
        Assert.IsTrue(warnings.Any(w => w.Contains("Skipped 1 instances with missing features", StringComparison.Ordinal)), string.Join("\n", warnings));
    }
}
