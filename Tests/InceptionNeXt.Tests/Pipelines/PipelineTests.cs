using InceptionNeXt.ML.Imaging;
using InceptionNeXt.ML.Pipelines;
using InceptionNeXt.ML.Pipelines.Data;
using InceptionNeXt.ML.Pipelines.Transforms;
using InceptionNeXt.ML.Trainers;
using InceptionNeXt.Tests.Checkpoints;

namespace InceptionNeXt.Tests.Pipelines;

/// <summary>The ML.NET-style pipeline end to end on a generated colour folder: fit, evaluate, save, load, predict.</summary>
[TestClass]
public sealed class PipelineTests
{
    private static TempDir dir = null!;
    private static string folder = "";
    private static string backbone = "";

    /// <summary>Input rows of a prediction engine.</summary>
    public sealed class ImageRow
    {
        /// <summary>Path.</summary>
        public string ImagePath { get; set; } = "";

        /// <summary>Label (unknown at prediction time; the pipeline starts with MapValueToKey).</summary>
        public string Label { get; set; } = "";
    }

    /// <summary>Output rows of a prediction engine.</summary>
    public sealed class Prediction
    {
        /// <summary>Label text (after MapKeyToValue).</summary>
        [ColumnName("PredictedLabel")]
        public string Label { get; set; } = "";

        /// <summary>Probabilities.</summary>
        public float[] Score { get; set; } = [];
    }

    [ClassInitialize]
    public static void Create(TestContext _)
    {
        dir = new TempDir();
        (folder, backbone) = PipelineFixture.Create(dir);
    }

    [ClassCleanup]
    public static void Cleanup() => dir.Dispose();

    private static EstimatorChain<KeyToValueMappingTransformer> Pipeline(InceptionNeXtContext ctx, ImageFeaturizerOptions? options = null) =>
        ctx.Transforms.Conversion.MapValueToKey("Label")
            .Append(ctx.Transforms.LoadImages("Image", null, "ImagePath"))
            .Append(ctx.Transforms.FeaturizeImages(backbone, "Features", "Image", options))
            .Append(ctx.MulticlassClassification.Trainers.LbfgsLogisticRegression("Label", "Features"))
            .Append(ctx.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    [TestMethod]
    public void FitEvaluateSaveLoadGivesIdenticalPredictions()
    {
        var ctx = new InceptionNeXtContext(seed: 1);
        var data = ctx.Data.LoadFromImageFolder(folder);
        Assert.AreEqual(36, data.RowCount);
        var split = ctx.Data.TrainTestSplit(data, testFraction: 0.25, stratificationColumnName: "Label");
        Assert.AreEqual(9, split.TestSet.RowCount, "3 of each class");

        using var model = Pipeline(ctx).Fit(split.TrainSet);
        var scored = model.Transform(split.TestSet);
        var metrics = ctx.MulticlassClassification.Evaluate(scored, topK: 2);
        Assert.IsTrue(metrics.MicroAccuracy >= 0.85, $"colour is learnable from the features: {metrics.MicroAccuracy}");
        Assert.AreEqual(9, metrics.ConfusionMatrix.Total);

        var path = Path.Combine(dir.Path, "model.zip");
        ctx.Model.Save(model, data.Schema, path);
        using var loaded = ctx.Model.Load(path, out var schema);
        Assert.IsNotNull(schema);
        Assert.AreEqual("ImagePath: Text, Label: Text", schema.Describe());
        var again = loaded.Transform(split.TestSet);
        var before = scored.GetColumn<float[]>("Score").ToArray();
        var after = again.GetColumn<float[]>("Score").ToArray();
        for (var i = 0; i < before.Length; i++) CollectionAssert.AreEqual(before[i], after[i], "identical probabilities after Save/Load");
        CollectionAssert.AreEqual(scored.GetColumn<string>("PredictedLabel").ToArray(), again.GetColumn<string>("PredictedLabel").ToArray());

        var engine = ctx.Model.CreatePredictionEngine<ImageRow, Prediction>(loaded);
        var file = split.TestSet.GetColumn<string>("ImagePath")[0];
        var one = engine.Predict(new ImageRow { ImagePath = file });
        Assert.AreEqual(scored.GetColumn<string>("PredictedLabel")[0], one.Label);
        CollectionAssert.AreEqual(before[0], one.Score);
    }

    [TestMethod]
    public void SixteenThreadsPredictLikeOne()
    {
        var ctx = new InceptionNeXtContext(seed: 2);
        var data = ctx.Data.LoadFromImageFolder(folder);
        using var model = Pipeline(ctx).Fit(data);
        var engine = ctx.Model.CreatePredictionEngine<ImageRow, Prediction>(model);
        var files = data.GetColumn<string>("ImagePath").ToArray();
        var expected = files.Select(f => engine.Predict(new ImageRow { ImagePath = f })).ToArray();
        var results = new Prediction[16][];
        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 16 }, t =>
            results[t] = files.Select(f => engine.Predict(new ImageRow { ImagePath = f })).ToArray());
        foreach (var r in results)
            for (var i = 0; i < files.Length; i++)
            {
                Assert.AreEqual(expected[i].Label, r[i].Label);
                CollectionAssert.AreEqual(expected[i].Score, r[i].Score);
            }
        var batch = engine.PredictBatch(files.Select(f => new ImageRow { ImagePath = f }).ToArray());
        CollectionAssert.AreEqual(expected.Select(e => e.Label).ToArray(), batch.Select(b => b.Label).ToArray());
    }

    [TestMethod]
    public void SchemaErrorsSayWhatToChange()
    {
        var ctx = new InceptionNeXtContext(seed: 3);
        var data = ctx.Data.LoadFromImageFolder(folder);
        var noKey = ctx.Transforms.LoadImages("Image", null, "ImagePath")
            .Append(ctx.Transforms.FeaturizeImages(backbone, "Features", "Image"))
            .Append(ctx.MulticlassClassification.Trainers.LbfgsLogisticRegression("Label", "Features"));
        var e = Assert.ThrowsExactly<SchemaMismatchException>(() => noKey.Fit(data));
        StringAssert.Contains(e.Message, "MapValueToKey(\"Label\")");
        StringAssert.Contains(e.Message, "is Text");

        var misnamed = ctx.Transforms.LoadImages("Image", null, "imagepath");
        e = Assert.ThrowsExactly<SchemaMismatchException>(() => misnamed.Fit(data));
        StringAssert.Contains(e.Message, "Did you mean 'ImagePath'");

        var wrongSize = ctx.Transforms.LoadImages("Image", null, "ImagePath")
            .Append(ctx.Transforms.PreprocessImages("Pixels", "Image", new PreprocessOptions { InputSize = 64 }))
            .Append(ctx.Transforms.FeaturizeImages(backbone, "Features", "Pixels"));
        e = Assert.ThrowsExactly<SchemaMismatchException>(() => wrongSize.Fit(data));
        StringAssert.Contains(e.Message, "InputSize = 32");

        Assert.ThrowsExactly<FileNotFoundException>(() => ctx.Transforms.FeaturizeImages(Path.Combine(dir.Path, "missing.onnx")));
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => ctx.Data.LoadFromImageFolder(Path.Combine(dir.Path, "nowhere")));
        var damaged = dir.File("damaged.zip");
        File.WriteAllBytes(damaged, [1, 2, 3]);
        var load = Assert.ThrowsExactly<InvalidDataException>(() => ctx.Model.Load(damaged, out _));
        StringAssert.Contains(load.Message, damaged);
    }

    [TestMethod]
    public void PreprocessedPixelsGiveTheSameFeaturesAsImages()
    {
        var ctx = new InceptionNeXtContext(seed: 4);
        var data = ctx.Data.LoadFromImageFolder(folder);
        var viaImages = ctx.Transforms.LoadImages().Append(ctx.Transforms.FeaturizeImages(backbone)).Fit(data);
        var viaPixels = ctx.Transforms.LoadImages()
            .Append(ctx.Transforms.PreprocessImages("Pixels", "Image", new PreprocessOptions { InputSize = 32, CropPct = 1.0 }))
            .Append(ctx.Transforms.FeaturizeImages(backbone, "Features", "Pixels")).Fit(data);
        using (viaImages)
        using (viaPixels)
        {
            var a = viaImages.Transform(data).GetColumn<float[]>("Features");
            var b = viaPixels.Transform(data).GetColumn<float[]>("Features");
            for (var i = 0; i < data.RowCount; i++)
                for (var j = 0; j < a[i].Length; j++) Assert.AreEqual(a[i][j], b[i][j], 1e-5f);
        }
    }

    [TestMethod]
    public void CacheHitSkipsTheBackbone()
    {
        var ctx = new InceptionNeXtContext(seed: 5);
        var data = ctx.Data.LoadFromImageFolder(folder);
        var cache = Path.Combine(dir.Path, "cache");
        var options = new ImageFeaturizerOptions { CacheDirectory = cache };
        float[][] first;
        using (var a = ctx.Transforms.LoadImages().Append(ctx.Transforms.FeaturizeImages(backbone, options: options)).Fit(data))
        {
            first = a.Transform(data).GetColumn<float[]>("Features").ToArray();
            Assert.AreEqual(36L, a.LastTransformer.BackboneImages);
        }
        using (var b = ctx.Transforms.LoadImages().Append(ctx.Transforms.FeaturizeImages(backbone, options: options)).Fit(data))
        {
            var second = b.Transform(data).GetColumn<float[]>("Features").ToArray();
            Assert.AreEqual(0L, b.LastTransformer.BackboneImages, "every image came from the cache");
            Assert.AreEqual(36L, b.LastTransformer.CacheHits);
            for (var i = 0; i < first.Length; i++) CollectionAssert.AreEqual(first[i], second[i]);
            // An edited file is featurized again.
            File.SetLastWriteTimeUtc(data.GetColumn<string>("ImagePath")[0], DateTime.UtcNow.AddMinutes(5));
            b.Transform(data);
            Assert.AreEqual(1L, b.LastTransformer.BackboneImages);
        }
    }

    [TestMethod]
    public void MlpHeadWatchesTheValidationViewAndReportsEpochs()
    {
        var ctx = new InceptionNeXtContext(seed: 6);
        var split = ctx.Data.TrainTestSplit(ctx.Data.LoadFromImageFolder(folder), 0.3, "Label");
        var epochs = new List<HeadTrainingEpoch>();
        var pipeline = ctx.Transforms.Conversion.MapValueToKey("Label")
            .Append(ctx.Transforms.LoadImages())
            .Append(ctx.Transforms.FeaturizeImages(backbone))
            .Append(ctx.MulticlassClassification.Trainers.MlpHead(trainer: new MlpHeadTrainer { Epochs = 60, HiddenSize = 32, EarlyStoppingPatience = 5, Seed = 1, OnEpoch = epochs.Add }));
        using var model = pipeline.Fit(split.TrainSet, split.TestSet);
        // The validation view reached the trainer through the fitted stages (early stopping itself: HeadTrainerTests).
        Assert.IsTrue(epochs.Count is > 0 and <= 60);
        Assert.IsTrue(epochs.All(e => e.ValidationLoss is not null && e.ValidationAccuracy is not null));
        CollectionAssert.AreEqual(Enumerable.Range(1, epochs.Count).ToArray(), epochs.Select(e => e.Epoch).ToArray());
        var metrics = ctx.MulticlassClassification.Evaluate(model.Transform(split.TestSet));
        Assert.IsTrue(metrics.MicroAccuracy >= 0.8, metrics.MicroAccuracy.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [TestMethod]
    public void UnreadableImagesAreSkippedOrNamed()
    {
        using var local = new TempDir();
        var (bad, _) = PipelineFixture.Create(local, perClass: 3, name: "bad");
        File.WriteAllBytes(Path.Combine(bad, "red", "broken.jpg"), [0xFF, 0xD8, 0xFF, 0x00]);
        var ctx = new InceptionNeXtContext(seed: 7);
        var data = ctx.Data.LoadFromImageFolder(bad);
        var skipped = new List<SkippedImage>();
        using (var skip = ctx.Transforms.LoadImages().Append(ctx.Transforms.FeaturizeImages(backbone,
                   options: new ImageFeaturizerOptions { UnreadableImages = UnreadableImagePolicy.Skip, OnSkipped = skipped.Add })).Fit(data))
        {
            var output = skip.Transform(data);
            Assert.AreEqual(data.RowCount - 1, output.RowCount);
            Assert.AreEqual(1, skipped.Count);
            StringAssert.EndsWith(skipped[0].Source, "broken.jpg");
        }
        using var strict = ctx.Transforms.LoadImages().Append(ctx.Transforms.FeaturizeImages(backbone)).Fit(data);
        var e = Assert.ThrowsExactly<InvalidImageException>(() => strict.Transform(data));
        StringAssert.Contains(e.Message, "broken.jpg");
    }

    /// <summary>A CSV row.</summary>
    public sealed class LabelledPath
    {
        /// <summary>Path.</summary>
        public string ImagePath { get; set; } = "";
        /// <summary>Label.</summary>
        public string Label { get; set; } = "";
    }

    [TestMethod]
    public void CsvAndObjectsLoadTheSameRows()
    {
        var ctx = new InceptionNeXtContext(seed: 8);
        var data = ctx.Data.LoadFromImageFolder(folder);
        var rows = ctx.Data.CreateEnumerable<LabelledPath>(data).ToList();
        var csv = dir.File("list.csv");
        File.WriteAllLines(csv, ["ImagePath,Label", .. rows.Select(r => $"\"{Path.GetRelativePath(folder, r.ImagePath)}\",{r.Label}")]);
        var fromCsv = ctx.Data.LoadFromTextFile(csv);
        var images = ctx.Transforms.LoadImages("Image", folder, "ImagePath").Fit(fromCsv).Transform(fromCsv);
        CollectionAssert.AreEqual(rows.Select(r => r.ImagePath).ToArray(),
            images.GetColumn<ML.Inference.ImageInput>("Image").ToArray().Select(i => i.FilePath).ToArray());
        var fromObjects = ctx.Data.LoadFromEnumerable(rows);
        CollectionAssert.AreEqual(data.GetColumn<string>("Label").ToArray(), fromObjects.GetColumn<string>("Label").ToArray());

        File.WriteAllLines(csv, ["ImagePath,Label", "a.jpg,x,extra"]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => ctx.Data.LoadFromTextFile(csv));
        StringAssert.Contains(e.Message, "list.csv:2");
    }
}
