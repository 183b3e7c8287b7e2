using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>The scorer's output is what ML.NET's multiclass trainers give: probabilities with labels, a key prediction, Evaluate-ready.</summary>
[TestClass]
public sealed class ScorerPipelineTests
{
    private sealed class LabelRow
    {
        public string Label { get; set; } = "";
    }

    [TestMethod]
    public void ScoreAndPredictedLabelMatchTheClassifierAndEvaluateWorksOnThem()
    {
        var ml = new MLContext(seed: 1);
        var images = MLNetFixture.Images;
        using var classifier = new OnnxImageClassifier(MLNetFixture.ModelPath);
        var top = images.Select(p => classifier.Classify(p, 3)).ToArray();
        // The true label is the classifier's top class for the first four images and another class for the rest.
        var truth = top.Select((t, i) => i < 4 ? t.Top.Label : t.Predictions[1].Label).ToArray();
        var data = ml.Data.LoadFromEnumerable(images.Select((p, i) => new ImagePathRow { ImagePath = p, Label = truth[i] }));
        // The label keys in the model's label order, so they mean the same classes as the predicted keys.
        var keyData = ml.Data.LoadFromEnumerable(MLNetFixture.Labels.Select(l => new LabelRow { Label = l }));
        var scored = ml.Transforms.Conversion.MapValueToKey("Label", keyData: keyData)
            .Append(ml.Transforms.ScoreImagesWithInceptionNeXt("ImagePath", MLNetFixture.ModelPath, new() { BatchSize = 4 }))
            .Fit(data).Transform(data);

        var predicted = scored.Schema["PredictedLabel"];
        Assert.AreEqual(new KeyDataViewType(typeof(uint), 3), predicted.Type);
        var keyValues = default(VBuffer<ReadOnlyMemory<char>>);
        predicted.GetKeyValues(ref keyValues);
        CollectionAssert.AreEqual(MLNetFixture.Labels, keyValues.DenseValues().Select(s => s.ToString()).ToArray());
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        scored.Schema["Score"].GetSlotNames(ref slotNames);
        CollectionAssert.AreEqual(MLNetFixture.Labels, slotNames.DenseValues().Select(s => s.ToString()).ToArray());

        var scores = scored.GetColumn<float[]>("Score").ToArray();
        var keys = scored.GetColumn<uint>("PredictedLabel").ToArray();
        for (var i = 0; i < images.Length; i++)
        {
            Assert.AreEqual(1.0, scores[i].Sum(), 1e-5);
            foreach (var p in top[i].Predictions) Assert.AreEqual(p.Probability, scores[i][p.Index], 1e-5, $"{images[i]} {p.Label}");
            Assert.AreEqual(top[i].Top.Index + 1, (int)keys[i], images[i]);
        }

        // As after an ML.NET trainer, MapKeyToValue turns the key back into the label text.
        var names = ml.Transforms.Conversion.MapKeyToValue("PredictedName", "PredictedLabel").Fit(scored).Transform(scored).GetColumn<string>("PredictedName").ToArray();
        CollectionAssert.AreEqual(top.Select(t => t.Top.Label).ToArray(), names);

        var metrics = ml.MulticlassClassification.Evaluate(scored, labelColumnName: "Label");
        Assert.AreEqual(4.0 / 7, metrics.MicroAccuracy, 1e-9);
        var expectedLogLoss = truth.Select((t, i) => -Math.Log(scores[i][Array.IndexOf(MLNetFixture.Labels, t)])).Average();
        Assert.AreEqual(expectedLogLoss, metrics.LogLoss, 1e-4);
    }

    [TestMethod]
    public void BadArgumentsGiveClearErrors()
    {
        var ml = new MLContext(seed: 1);
        var missing = Assert.ThrowsExactly<FileNotFoundException>(() => ml.Transforms.ScoreImagesWithInceptionNeXt("ImagePath", MLNetFixture.Dir.File("nope.onnx")));
        StringAssert.Contains(missing.Message, "nope.onnx");
        var options = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Transforms.ScoreImagesWithInceptionNeXt("ImagePath", MLNetFixture.ModelPath, new() { ScoreColumnName = "X", PredictedLabelColumnName = "X" }));
        StringAssert.Contains(options.Message, "must differ");
    }
}
