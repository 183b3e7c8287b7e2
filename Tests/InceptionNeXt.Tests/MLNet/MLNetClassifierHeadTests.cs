using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.MLNet;
using InceptionNeXt.ML.OnnxFormat;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>An ML.NET head grafted onto the backbone gives the probabilities ML.NET gives; features are cached between runs.</summary>
[TestClass]
public sealed class MLNetClassifierHeadTests
{
    [TestMethod]
    public void TheGraftedOnnxScoresAsTheMLNetPipeline()
    {
        var ml = new MLContext(seed: 1);
        var rows = MLNetFixture.Images.Select((p, i) => new ImagePathRow { ImagePath = p, Label = i % 3 == 0 ? "b" : "a" }).ToArray();
        var data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", MLNetFixture.ModelPath))
            .Append(ml.Transforms.NormalizeMeanVariance("Features"))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy())
            .Fit(data);
        var (head, labels) = MLNetClassifierHead.Extract(model, data.Schema);
        CollectionAssert.AreEqual(new[] { "b", "a" }, labels.ToArray(), "labels in key (score) order");

        using var dir = new Checkpoints.TempDir();
        var onnx = Path.Combine(dir.Path, "grafted.onnx");
        File.WriteAllBytes(onnx, OnnxHeadGrafting.Graft(File.ReadAllBytes(MLNetFixture.ModelPath), head, labels));
        var expected = model.Transform(data).GetColumn<float[]>("Score").ToArray();
        using var classifier = new OnnxImageClassifier(onnx);
        for (var i = 0; i < rows.Length; i++)
        {
            var predictions = classifier.Classify(rows[i].ImagePath, topK: 2).Predictions;
            foreach (var p in predictions)
                Assert.AreEqual(expected[i][labels.ToList().IndexOf(p.Label)], p.Probability, 1e-4, $"{rows[i].ImagePath} {p.Label}");
        }
    }
}
