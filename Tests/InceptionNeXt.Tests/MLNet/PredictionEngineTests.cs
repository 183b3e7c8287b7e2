using InceptionNeXt.ML.Inference;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>Prediction engines: row-by-row answers equal the batched ones, from one thread or sixteen.</summary>
[TestClass]
public sealed class PredictionEngineTests
{
    [TestMethod]
    public void SixteenThreadsWithAnEngineEachGetTheSingleThreadAnswers()
    {
        var ml = new MLContext(seed: 1);
        var images = MLNetFixture.Images;
        var data = ml.Data.LoadFromEnumerable(images.Select(p => new ImagePathRow { ImagePath = p }));
        var model = ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", MLNetFixture.ModelPath, new() { LogitsColumnName = "Logits" })
            .Append(ml.Transforms.ScoreImagesWithInceptionNeXt("ImagePath", MLNetFixture.ModelPath))
            .Fit(data);

        var engine = ml.Model.CreatePredictionEngine<ImagePathRow, FeaturesPrediction>(model);
        var expected = images.Select(p => engine.Predict(new ImagePathRow { ImagePath = p })).ToArray();
        var scoreEngine = ml.Model.CreatePredictionEngine<ImagePathRow, ScorePrediction>(model);
        var expectedScores = images.Select(p => scoreEngine.Predict(new ImagePathRow { ImagePath = p })).ToArray();

        // Each prediction is its own image's: the engine does not serve a previous row's result.
        using var featurizer = new OnnxImageFeaturizer(MLNetFixture.ModelPath);
        using var classifier = new OnnxImageClassifier(MLNetFixture.ModelPath);
        for (var i = 0; i < images.Length; i++)
        {
            var reference = featurizer.Featurize(images[i]);
            for (var j = 0; j < reference.Length; j++) Assert.AreEqual(reference[j], expected[i].Features[j], 1e-4, $"{images[i]}[{j}]");
            Assert.AreEqual(classifier.Classify(images[i]).Top.Index + 1, (int)expectedScores[i].PredictedKey, images[i]);
        }
        Assert.IsFalse(expected[0].Features.SequenceEqual(expected[1].Features));

        var failures = 0;
        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 16 }, t =>
        {
            var mine = ml.Model.CreatePredictionEngine<ImagePathRow, FeaturesPrediction>(model);
            var mineScores = ml.Model.CreatePredictionEngine<ImagePathRow, ScorePrediction>(model);
            for (var round = 0; round < 2; round++)
                for (var i = 0; i < images.Length; i++)
                {
                    var k = (i + t) % images.Length;
                    var got = mine.Predict(new ImagePathRow { ImagePath = images[k] });
                    var score = mineScores.Predict(new ImagePathRow { ImagePath = images[k] });
                    if (!got.Features.SequenceEqual(expected[k].Features) || !got.Logits.SequenceEqual(expected[k].Logits)
                        || !score.Score.SequenceEqual(expectedScores[k].Score) || score.PredictedKey != expectedScores[k].PredictedKey)
                        Interlocked.Increment(ref failures);
                }
        });
        Assert.AreEqual(0, failures);
    }

    private sealed class BytesRow
    {
        [VectorType]
        public byte[] Bytes { get; set; } = [];
    }

    private sealed class ImageRow
    {
        // ML.NET needs an MLImage member's size to type the column: img3.png is 300 x 200.
        [Microsoft.ML.Transforms.Image.ImageType(200, 300)]
        public MLImage? Image { get; set; }
    }

    [TestMethod]
    public void EnginesTakeEncodedBytesAndMLImagesToo()
    {
        var ml = new MLContext(seed: 1);
        var png = MLNetFixture.Images[3];
        using var featurizer = new OnnxImageFeaturizer(MLNetFixture.ModelPath);
        var expected = featurizer.Featurize(png);

        var bytesData = ml.Data.LoadFromEnumerable(new[] { new BytesRow { Bytes = File.ReadAllBytes(png) } });
        var bytesEngine = ml.Model.CreatePredictionEngine<BytesRow, FeaturesPrediction>(
            ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "Bytes", MLNetFixture.ModelPath).Fit(bytesData));
        var fromBytes = bytesEngine.Predict(new BytesRow { Bytes = File.ReadAllBytes(png) }).Features;

        using var image = MLImage.CreateFromFile(png);
        var imageData = ml.Data.LoadFromEnumerable(new[] { new ImageRow { Image = image } });
        var imageEngine = ml.Model.CreatePredictionEngine<ImageRow, FeaturesPrediction>(
            ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "Image", MLNetFixture.ModelPath).Fit(imageData));
        var fromImage = imageEngine.Predict(new ImageRow { Image = image }).Features;

        for (var i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], fromBytes[i], 1e-4, $"bytes [{i}]");
            Assert.AreEqual(expected[i], fromImage[i], 1e-4, $"MLImage [{i}]");
        }
    }
}
