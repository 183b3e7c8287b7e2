using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>Rows whose image cannot be read: Throw names the file; Skip gives NaN and the reason, and every other row stays intact.</summary>
[TestClass]
public sealed class UnreadableImageTests
{
    private static string[] Inputs() =>
    [
        MLNetFixture.Images[0], MLNetFixture.Empty, MLNetFixture.Images[1], MLNetFixture.NotAnImage,
        MLNetFixture.Dir.File("missing.jpg"), MLNetFixture.Images[2], "",
    ];

    [TestMethod]
    public void ThrowNamesTheImageAndTheRow()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Inputs().Select(p => new ImagePathRow { ImagePath = p }));
        var output = ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", MLNetFixture.ModelPath, new() { BatchSize = 2 }).Fit(data).Transform(data);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => output.GetColumn<float[]>("Features").ToArray());
        StringAssert.Contains(e.Message, "row 1");
        StringAssert.Contains(e.Message, "empty.jpg");
        StringAssert.Contains(e.Message, "UnreadableImagePolicy.Skip");
        Assert.IsNotNull(e.InnerException);

        var engine = ml.Model.CreatePredictionEngine<ImagePathRow, FeaturesPrediction>(
            ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", MLNetFixture.ModelPath).Fit(data));
        var single = Assert.ThrowsExactly<InvalidOperationException>(() => engine.Predict(new ImagePathRow { ImagePath = MLNetFixture.NotAnImage }));
        StringAssert.Contains(single.Message, "notes.png");
    }

    [TestMethod]
    public void SkipGivesNaNAndTheReasonAndKeepsTheOtherRows()
    {
        var ml = new MLContext(seed: 1);
        var inputs = Inputs();
        var data = ml.Data.LoadFromEnumerable(inputs.Select((p, i) => new ImagePathRow { ImagePath = p, Label = $"row{i}" }));
        var warnings = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning)
                lock (warnings) warnings.Add(e.Message);
        };
        var options = new InceptionNeXtScorerOptions { BatchSize = 3, OnUnreadableImage = UnreadableImagePolicy.Skip, ErrorColumnName = "ImageError" };
        var output = ml.Transforms.ScoreImagesWithInceptionNeXt("ImagePath", MLNetFixture.ModelPath, options).Fit(data).Transform(data);

        var scores = output.GetColumn<float[]>("Score").ToArray();
        var keys = output.GetColumn<uint>("PredictedLabel").ToArray();
        var errors = output.GetColumn<string>("ImageError").ToArray();
        CollectionAssert.AreEqual(inputs.Select((_, i) => $"row{i}").ToArray(), output.GetColumn<string>("Label").ToArray(), "every row is kept, in order");
        var bad = new[] { false, true, false, true, true, false, true };
        using var classifier = new OnnxImageClassifier(MLNetFixture.ModelPath);
        for (var i = 0; i < inputs.Length; i++)
        {
            if (bad[i])
            {
                Assert.IsTrue(scores[i].All(float.IsNaN), $"row {i}");
                Assert.AreEqual(0u, keys[i], $"row {i}: the missing key");
                Assert.AreNotEqual("", errors[i], $"row {i}");
            }
            else
            {
                Assert.AreEqual("", errors[i]);
                Assert.AreEqual(classifier.Classify(inputs[i]).Top.Index + 1, (int)keys[i], inputs[i]);
            }
        }
        StringAssert.Contains(errors[1], "empty.jpg");
        StringAssert.Contains(errors[3], "notes.png");
        StringAssert.Contains(errors[4], "missing.jpg");
        StringAssert.Contains(errors[6], "path is empty");
        // Each of the three GetColumn calls above is a cursor of its own, which runs (and reports) the rows again.
        Assert.AreEqual(4, warnings.Where(w => w.Contains("skipped", StringComparison.Ordinal)).Distinct().Count(), string.Join("\n", warnings));

        // NaN is ML.NET's missing value: FilterRowsByMissingValues drops exactly the unreadable rows.
        var kept = ml.Data.FilterRowsByMissingValues(output, "Score");
        CollectionAssert.AreEqual(new[] { "row0", "row2", "row5" }, kept.GetColumn<string>("Label").ToArray());
    }
}
