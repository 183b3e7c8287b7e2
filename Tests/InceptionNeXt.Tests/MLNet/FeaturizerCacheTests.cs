using InceptionNeXt.ML.MLNet;
using InceptionNeXt.ML.OnnxFormat.Proto;
using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>The featurizer's on-disk cache (<see cref="InceptionNeXtFeaturizerOptions.CacheDirectory"/>).</summary>
[TestClass]
public sealed class FeaturizerCacheTests
{
    private static IDataView Paths(MLContext ml, IEnumerable<string> paths) =>
        ml.Data.LoadFromEnumerable(paths.Select(p => new ImagePathRow { ImagePath = p, Label = "x" }));

    private static float[][] Column(IDataView view, string column) => view.GetColumn<float[]>(column).ToArray();

    private static InceptionNeXtFeaturizingTransformer Featurizer(MLContext ml, IDataView data, string? cache, int batchSize = 16,
        string? logits = null, string? model = null) =>
        ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", model ?? MLNetFixture.ModelPath,
            new() { CacheDirectory = cache, BatchSize = batchSize, LogitsColumnName = logits, OnUnreadableImage = UnreadableImagePolicy.Skip }).Fit(data);

    [TestMethod]
    public void ASecondFeaturizerAnswersFromTheCacheWithoutRunningTheModel()
    {
        var ml = new MLContext(seed: 1);
        using var dir = new Checkpoints.TempDir();
        var data = Paths(ml, MLNetFixture.Images);
        using var plain = Featurizer(ml, data, cache: null);
        var expected = Column(plain.Transform(data), "Features");

        using (var first = Featurizer(ml, data, dir.Path, batchSize: 3))
        {
            CollectionAssert.AreEqual(expected.SelectMany(r => r).ToArray(), Column(first.Transform(data), "Features").SelectMany(r => r).ToArray());
            Assert.AreEqual(0, first.CacheHits);
            Assert.AreEqual(MLNetFixture.Images.Length, first.CacheMisses);
        }

        // A new transformer (as in a new process) over the same folder: every image comes from disk, bit for bit.
        using var second = Featurizer(ml, data, dir.Path, batchSize: 3);
        var cached = Column(second.Transform(data), "Features");
        Assert.AreEqual(0, second.Model.RunCount, "the model never ran");
        Assert.AreEqual(MLNetFixture.Images.Length, second.CacheHits);
        for (var i = 0; i < expected.Length; i++) CollectionAssert.AreEqual(expected[i], cached[i], MLNetFixture.Images[i]);

        // Prediction engines read the same cache.
        var engine = ml.Model.CreatePredictionEngine<ImagePathRow, FeaturesPrediction>(second);
        CollectionAssert.AreEqual(expected[2], engine.Predict(new ImagePathRow { ImagePath = MLNetFixture.Images[2] }).Features);
        Assert.AreEqual(0, second.Model.RunCount);
    }

    [TestMethod]
    public void ACacheThatCannotBeWrittenDoesNotStopFeaturizing()
    {
        var ml = new MLContext(seed: 1);
        var warnings = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning)
                lock (warnings) warnings.Add(e.Message);
        };
        using var dir = new Checkpoints.TempDir();
        var data = Paths(ml, MLNetFixture.Images);
        using var plain = Featurizer(ml, data, cache: null);
        var expected = Column(plain.Transform(data), "Features");
        string file;
        using (var first = Featurizer(ml, data, dir.Path, batchSize: 2))
        {
            _ = Column(first.Transform(Paths(ml, MLNetFixture.Images.Take(2))), "Features");
            file = Directory.GetFiles(dir.Path, "features.bin", SearchOption.AllDirectories).Single();
            Assert.IsNull(first.CacheWriteError);
        }

        // The record file is replaced by a folder, which no write gets past (as a full disk or a read-only folder).
        File.Delete(file);
        Directory.CreateDirectory(file);
        using var featurizer = Featurizer(ml, data, dir.Path, batchSize: 2);
        var actual = Column(featurizer.Transform(data), "Features");
        for (var i = 0; i < expected.Length; i++) CollectionAssert.AreEqual(expected[i], actual[i], MLNetFixture.Images[i]);
        Assert.IsNotNull(featurizer.CacheWriteError, "the transformer says why nothing was kept");
        var runs = featurizer.Model.RunCount;

        // What it computed is still answered from memory, and the warning was logged once, naming the file.
        var again = Column(featurizer.Transform(data), "Features");
        Assert.AreEqual(runs, featurizer.Model.RunCount, "the second pass is answered from memory");
        for (var i = 0; i < expected.Length; i++) CollectionAssert.AreEqual(expected[i], again[i], MLNetFixture.Images[i]);
        var cacheWarnings = warnings.Where(w => w.Contains("cannot write", StringComparison.Ordinal)).ToList();
        Assert.HasCount(1, cacheWarnings, string.Join("\n", warnings));
        StringAssert.Contains(cacheWarnings[0], file);
        Assert.IsTrue(Directory.Exists(file) && Directory.GetFileSystemEntries(file).Length == 0, "nothing was written over it");
    }

    [TestMethod]
    public void ACacheDirectoryThatCannotBeMadeIsRefusedAtFit()
    {
        var ml = new MLContext(seed: 1);
        using var dir = new Checkpoints.TempDir();
        var notAFolder = dir.File("a-file");
        File.WriteAllText(notAFolder, "x");
        var data = Paths(ml, MLNetFixture.Images);
        var e = Assert.ThrowsExactly<ArgumentException>(() => Featurizer(ml, data, notAFolder));
        Assert.AreEqual("CacheDirectory", e.ParamName);
        StringAssert.Contains(e.Message, notAFolder);
    }

    [TestMethod]
    public void CachedAndComputedRowsComeBackInRowOrder()
    {
        var ml = new MLContext(seed: 1);
        using var dir = new Checkpoints.TempDir();
        // Rows: every image, an unreadable file, then the images again; the cache holds only the odd-indexed images.
        string[] rows = [.. MLNetFixture.Images, MLNetFixture.NotAnImage, .. MLNetFixture.Images.Reverse()];
        var data = Paths(ml, rows);
        using var plain = Featurizer(ml, data, cache: null);
        var expected = Column(plain.Transform(data), "Features");
        using (var warm = Featurizer(ml, data, dir.Path))
            _ = Column(warm.Transform(Paths(ml, MLNetFixture.Images.Where((_, i) => i % 2 == 1))), "Features");

        foreach (var batch in new[] { 1, 2, 5, 16 })
        {
            using var featurizer = Featurizer(ml, data, dir.Path, batchSize: batch);
            var actual = Column(featurizer.Transform(data), "Features");
            Assert.AreEqual(expected.Length, actual.Length);
            for (var i = 0; i < rows.Length; i++)
            {
                if (rows[i] == MLNetFixture.NotAnImage) Assert.IsTrue(actual[i].All(float.IsNaN), "the unreadable row stays missing");
                else CollectionAssert.AreEqual(expected[i], actual[i], $"batch {batch}, row {i}: {rows[i]}");
            }
        }
    }

    [TestMethod]
    public void AnEditedFileAnotherModelOrOtherOutputsMiss()
    {
        var ml = new MLContext(seed: 1);
        using var dir = new Checkpoints.TempDir();
        var images = MLNetFixture.Images.Take(3).Select((p, i) =>
        {
            var copy = dir.File($"copy{i}{Path.GetExtension(p)}");
            File.Copy(p, copy);
            return copy;
        }).ToArray();
        var data = Paths(ml, images);
        var cache = dir.File("cache");
        using (var first = Featurizer(ml, data, cache)) _ = Column(first.Transform(data), "Features");

        // A file rewritten (same bytes, later time) is another file.
        File.SetLastWriteTimeUtc(images[1], File.GetLastWriteTimeUtc(images[1]).AddMinutes(1));
        using (var touched = Featurizer(ml, data, cache))
        {
            _ = Column(touched.Transform(data), "Features");
            Assert.AreEqual(2, touched.CacheHits);
            Assert.AreEqual(1, touched.CacheMisses);
        }

        // Logits too: other outputs, other entries; and both come back from the cache the next time.
        using (var withLogits = Featurizer(ml, data, cache, logits: "Logits"))
        {
            var view = withLogits.Transform(data);
            var features = Column(view, "Features");
            Assert.AreEqual(0, withLogits.CacheHits);
            var logits = Column(view, "Logits");
            using var again = Featurizer(ml, data, cache, logits: "Logits");
            var view2 = again.Transform(data);
            CollectionAssert.AreEqual(features.SelectMany(r => r).ToArray(), Column(view2, "Features").SelectMany(r => r).ToArray());
            CollectionAssert.AreEqual(logits.SelectMany(r => r).ToArray(), Column(view2, "Logits").SelectMany(r => r).ToArray());
            Assert.AreEqual(0, again.Model.RunCount, "both columns from the cache");
        }

        // The same network with another label name is another model file: nothing shared.
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(MLNetFixture.ModelPath));
        model.MetadataProps.Add(new StringStringEntryProto { Key = "note", Value = "another file" });
        var other = dir.File("other.onnx");
        File.WriteAllBytes(other, model.ToByteArray());
        using var otherModel = Featurizer(ml, data, cache, model: other);
        _ = Column(otherModel.Transform(data), "Features");
        Assert.AreEqual(0, otherModel.CacheHits);
    }

    [TestMethod]
    public void EncodedBytesAreCachedByContent()
    {
        var ml = new MLContext(seed: 1);
        using var dir = new Checkpoints.TempDir();
        var data = Paths(ml, MLNetFixture.PngImages);
        InceptionNeXtFeaturizingTransformer Make() => ml.Transforms.LoadRawImageBytes("Bytes", null, "ImagePath")
            .Append(ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "Bytes", MLNetFixture.ModelPath, new() { CacheDirectory = dir.Path }))
            .Fit(data).LastTransformer;
        var bytes = ml.Transforms.LoadRawImageBytes("Bytes", null, "ImagePath").Fit(data).Transform(data);
        using var first = Make();
        var a = Column(first.Transform(bytes), "Features");
        using var second = Make();
        var b = Column(second.Transform(bytes), "Features");
        Assert.AreEqual(MLNetFixture.PngImages.Length, first.CacheMisses, "first");
        Assert.AreEqual(MLNetFixture.PngImages.Length, second.CacheHits, $"second: misses {second.CacheMisses}");
        Assert.AreEqual(0, second.Model.RunCount);
        for (var i = 0; i < a.Length; i++) CollectionAssert.AreEqual(a[i], b[i]);
    }

    [TestMethod]
    public void AnEmptyCacheDirectoryIsRefusedByName()
    {
        var ml = new MLContext();
        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Featurizer(ml, Paths(ml, MLNetFixture.Images), cache: ""));
        Assert.AreEqual("CacheDirectory", error.ParamName);
    }
}
