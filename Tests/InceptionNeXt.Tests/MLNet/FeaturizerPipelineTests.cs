using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>The featurizer inside ML.NET pipelines: the same numbers as the ONNX Runtime featurizer, from every input kind.</summary>
[TestClass]
public sealed class FeaturizerPipelineTests
{
    private static float[][] Column(IDataView data, string name)
    {
        var column = data.Schema[name];
        return data.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray()).ToArray();
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, what);
        for (var i = 0; i < expected.Length; i++) Assert.AreEqual(expected[i], actual[i], 1e-4, $"{what}[{i}]");
    }

    [TestMethod]
    public void FeaturesAndLogitsFromPathsMatchTheOnnxFeaturizerInBatches()
    {
        var ml = new MLContext(seed: 1);
        var images = MLNetFixture.Images;
        var data = ml.Data.LoadFromEnumerable(images.Select(p => new ImagePathRow { ImagePath = p, Label = "cat" }));
        // 7 rows in batches of 3: two full batches and a partial one.
        var options = new InceptionNeXtFeaturizerOptions { BatchSize = 3, LogitsColumnName = "Logits" };
        var transformer = ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", MLNetFixture.ModelPath, options).Fit(data);
        var output = transformer.Transform(data);

        var features = output.Schema["Features"];
        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, 320), features.Type);
        Assert.AreEqual(320, transformer.FeatureSize);
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        output.Schema["Logits"].GetSlotNames(ref slotNames);
        CollectionAssert.AreEqual(MLNetFixture.Labels, slotNames.DenseValues().Select(s => s.ToString()).ToArray());

        using var featurizer = new OnnxImageFeaturizer(MLNetFixture.ModelPath);
        using var classifier = new OnnxImageClassifier(MLNetFixture.ModelPath);
        var actualFeatures = Column(output, "Features");
        var actualLogits = Column(output, "Logits");
        var paths = output.GetColumn<string>("ImagePath").ToArray();
        CollectionAssert.AreEqual(images, paths, "rows keep their order and their own columns");
        var expectedLogits = classifier.LogitsMany(images.Select(ImageInput.FromFile)).Select(r => r.Logits!).ToArray();
        for (var i = 0; i < images.Length; i++)
        {
            AssertClose(featurizer.Featurize(images[i]), actualFeatures[i], $"features of {images[i]}");
            AssertClose(expectedLogits[i], actualLogits[i], $"logits of {images[i]}");
        }

        // And against a bare ONNX Runtime session, one image at a time, on the same preprocessed tensor.
        using var session = new Microsoft.ML.OnnxRuntime.InferenceSession(MLNetFixture.ModelPath);
        var size = featurizer.Info.InputSize;
        for (var i = 0; i < images.Length; i++)
        {
            var tensor = featurizer.Preprocessor.Preprocess(images[i]);
            using var input = Microsoft.ML.OnnxRuntime.OrtValue.CreateTensorValueFromMemory(tensor, [1, 3, size, size]);
            using var results = session.Run(new Microsoft.ML.OnnxRuntime.RunOptions(), [featurizer.Info.InputName], [input], ["logits", "features"]);
            AssertClose(results[0].GetTensorDataAsSpan<float>().ToArray(), actualLogits[i], $"logits of {images[i]} against ONNX Runtime");
            AssertClose(results[1].GetTensorDataAsSpan<float>().ToArray(), actualFeatures[i], $"features of {images[i]} against ONNX Runtime");
        }
    }

    [TestMethod]
    public void RowsRunInBatchesAndFeaturesAndLogitsShareOneRun()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(MLNetFixture.Images.Select(p => new ImagePathRow { ImagePath = p }));
        var transformer = ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", MLNetFixture.ModelPath,
            new() { BatchSize = 3, LogitsColumnName = "Logits" }).Fit(data);
        var output = transformer.Transform(data);
        using (var cursor = output.GetRowCursor(output.Schema))
        {
            var getter = cursor.GetGetter<VBuffer<float>>(output.Schema["Logits"]);
            var value = default(VBuffer<float>);
            while (cursor.MoveNext()) getter(ref value);
        }
        Assert.AreEqual(3, transformer.Model.RunCount, "7 rows in batches of 3: three runs, each giving both outputs");

        var engine = ml.Model.CreatePredictionEngine<ImagePathRow, FeaturesPrediction>(transformer);
        engine.Predict(new ImagePathRow { ImagePath = MLNetFixture.Images[0] });
        Assert.AreEqual(4, transformer.Model.RunCount, "a prediction engine runs its one row once for both outputs");
    }

    [TestMethod]
    public void BytesFromLoadRawImageBytesAndMLImagesFromLoadImagesGiveTheSameFeatures()
    {
        var ml = new MLContext(seed: 1);
        var pngs = MLNetFixture.PngImages;
        var data = ml.Data.LoadFromEnumerable(pngs.Select(p => new ImagePathRow { ImagePath = p }));
        var output = ml.Transforms.LoadRawImageBytes("Bytes", null, "ImagePath")
            .Append(ml.Transforms.LoadImages("Image", null, "ImagePath"))
            .Append(ml.Transforms.FeaturizeImagesWithInceptionNeXt("FromBytes", "Bytes", MLNetFixture.ModelPath, new() { BatchSize = 2 }))
            .Append(ml.Transforms.FeaturizeImagesWithInceptionNeXt("FromImage", "Image", MLNetFixture.ModelPath, new() { BatchSize = 2 }))
            .Fit(data).Transform(data);
        using var featurizer = new OnnxImageFeaturizer(MLNetFixture.ModelPath);
        var fromBytes = Column(output, "FromBytes");
        var fromImage = Column(output, "FromImage");
        for (var i = 0; i < pngs.Length; i++)
        {
            var expected = featurizer.Featurize(pngs[i]);
            AssertClose(expected, fromBytes[i], $"bytes of {pngs[i]}");
            // ML.NET decodes PNGs itself (SkiaSharp): lossless, so the same pixels reach the model.
            AssertClose(expected, fromImage[i], $"MLImage of {pngs[i]}");
        }
    }

    [TestMethod]
    public void ImageFolderResolvesRelativePathsAndUnrequestedColumnsRunNothing()
    {
        var ml = new MLContext(seed: 1);
        var names = MLNetFixture.Images.Select(Path.GetFileName).ToArray();
        var data = ml.Data.LoadFromEnumerable(names.Select(n => new ImagePathRow { ImagePath = n!, Label = "dog" }));
        var transformer = ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", MLNetFixture.ModelPath,
            new() { ImageFolder = MLNetFixture.Dir.Path }).Fit(data);
        var output = transformer.Transform(data);
        using var featurizer = new OnnxImageFeaturizer(MLNetFixture.ModelPath);
        AssertClose(featurizer.Featurize(MLNetFixture.Images[2]), Column(output, "Features")[2], "features by relative path");

        // A cursor over the labels only never touches the images: a view of missing files reads fine that way.
        var missing = ml.Data.LoadFromEnumerable(new[] { new ImagePathRow { ImagePath = "no-such-file.png", Label = "bird" } });
        CollectionAssert.AreEqual(new[] { "bird" }, transformer.Transform(missing).GetColumn<string>("Label").ToArray());
    }
}
