using System.Globalization;
using System.IO.Compression;
using InceptionNeXt.ML.MLNet;
using InceptionNeXt.Tests.Infrastructure;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>mlContext.Model.Save and Load: the ONNX model travels inside model.zip, and a fresh process gets the same numbers.</summary>
[TestClass]
public sealed class SaveLoadTests
{
    /// <summary>The lines InceptionNeXt.MLNetProbe prints: row, column, values (floats in round-trip form).</summary>
    internal static List<string> Describe(IDataView scored, int inputCount)
    {
        var lines = new List<string>();
        using var cursor = scored.GetRowCursor(scored.Schema);
        while (cursor.MoveNext())
            foreach (var column in scored.Schema.Where(c => c.Index >= inputCount && !c.IsHidden))
            {
                string text;
                if (column.Type is TextDataViewType)
                {
                    var value = default(ReadOnlyMemory<char>);
                    cursor.GetGetter<ReadOnlyMemory<char>>(column)(ref value);
                    text = value.ToString();
                }
                else if (column.Type is KeyDataViewType)
                {
                    uint key = 0;
                    cursor.GetGetter<uint>(column)(ref key);
                    text = key.ToString(CultureInfo.InvariantCulture);
                }
                else
                {
                    var value = default(VBuffer<float>);
                    cursor.GetGetter<VBuffer<float>>(column)(ref value);
                    text = string.Join(",", value.DenseValues().Select(f => f.ToString("R", CultureInfo.InvariantCulture)));
                }
                lines.Add($"{cursor.Position}\t{column.Name}\t{text}");
            }
        return lines;
    }

    private static string SaveModel(MLContext ml, IEstimator<ITransformer> estimator, string name, out List<string> expected)
    {
        var data = ml.Data.LoadFromEnumerable(MLNetFixture.Images.Select(p => new ImagePathRow { ImagePath = p }));
        var model = estimator.Fit(data);
        expected = Describe(model.Transform(data), data.Schema.Count);
        var zip = MLNetFixture.Dir.File(name);
        ml.Model.Save(model, data.Schema, zip);
        return zip;
    }

    private static (int Code, string Stdout, string Stderr) RunProbe(string zip) =>
        ProcessRunner.Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "InceptionNeXt.MLNetProbe.dll"), zip, "ImagePath", .. MLNetFixture.Images]);

    [TestMethod]
    public void AFreshProcessLoadsTheFeaturizerAndScorerAndGetsIdenticalOutputs()
    {
        var ml = new MLContext(seed: 1);
        var featurizer = SaveModel(ml, ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", MLNetFixture.ModelPath,
            new() { BatchSize = 3, LogitsColumnName = "Logits" }), "featurizer.zip", out var expectedFeatures);
        var scorer = SaveModel(ml, ml.Transforms.ScoreImagesWithInceptionNeXt("ImagePath", MLNetFixture.ModelPath, new() { BatchSize = 5 }),
            "scorer.zip", out var expectedScores);
        // The zips stand alone: the ONNX file is not needed any more.
        var moved = MLNetFixture.Dir.File("classifier-moved.onnx");
        File.Move(MLNetFixture.ModelPath, moved);
        try
        {
            foreach (var (zip, expected) in new[] { (featurizer, expectedFeatures), (scorer, expectedScores) })
            {
                var (code, stdout, stderr) = RunProbe(zip);
                Assert.AreEqual(0, code, stderr);
                CollectionAssert.AreEqual(expected, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList(), $"{Path.GetFileName(zip)}: {stdout}");
            }
            Assert.AreEqual(MLNetFixture.Images.Length * 2, expectedFeatures.Count);
        }
        finally
        {
            File.Move(moved, MLNetFixture.ModelPath);
        }
    }

    [TestMethod]
    public void LoadingInProcessGivesTheTransformerItselfWithItsSettings()
    {
        var ml = new MLContext(seed: 1);
        var zip = SaveModel(ml, ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", MLNetFixture.ModelPath,
            new() { BatchSize = 5, OnUnreadableImage = UnreadableImagePolicy.Skip, ErrorColumnName = "ImageError" }), "settings.zip", out var expected);
        var loaded = ml.Model.Load(zip, out var schema);
        CollectionAssert.AreEqual(new[] { "ImagePath", "Label" }, schema.Select(c => c.Name).ToArray());
        var transformer = loaded as InceptionNeXtFeaturizingTransformer
            ?? ((IEnumerable<ITransformer>)loaded).OfType<InceptionNeXtFeaturizingTransformer>().Single();
        Assert.AreEqual(5, transformer.Model.Options.BatchSize);
        Assert.AreEqual(UnreadableImagePolicy.Skip, transformer.OnUnreadableImage);
        Assert.AreEqual("Features", transformer.OutputColumnName);
        var data = ml.Data.LoadFromEnumerable(MLNetFixture.Images.Select(p => new ImagePathRow { ImagePath = p }));
        var output = loaded.Transform(data);
        Assert.IsNotNull(output.Schema.GetColumnOrNull("ImageError"));
        CollectionAssert.AreEqual(expected.Where(l => l.Contains("\tFeatures\t")).ToList(),
            Describe(output, data.Schema.Count).Where(l => l.Contains("\tFeatures\t")).ToList());
    }

    [TestMethod]
    public void DamagedModelZipsFailClearly()
    {
        var ml = new MLContext(seed: 1);
        var zip = SaveModel(ml, ml.Transforms.ScoreImagesWithInceptionNeXt("ImagePath", MLNetFixture.ModelPath), "damaged.zip", out _);
        var bytes = File.ReadAllBytes(zip);

        // Cut in half: the zip itself is unreadable.
        var truncated = MLNetFixture.Dir.File("truncated.zip");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        // ML.NET's own check: FormatException "Failed to open a zip archive" around the zip reader's InvalidDataException.
        var e = Assert.Throws<Exception>(() => ml.Model.Load(truncated, out _));
        Assert.IsInstanceOfType<InvalidDataException>(e.GetBaseException(), e.ToString());

        // A sound zip whose stored ONNX model is cut short: our own check names the problem.
        var shortened = MLNetFixture.Dir.File("shortened.zip");
        File.WriteAllBytes(shortened, bytes);
        using (var archive = ZipFile.Open(shortened, ZipArchiveMode.Update))
        {
            var entry = archive.Entries.Single(x => x.FullName.EndsWith("Model.onnx", StringComparison.Ordinal));
            byte[] content;
            using (var s = entry.Open())
            using (var copy = new MemoryStream())
            {
                s.CopyTo(copy);
                content = copy.ToArray();
            }
            entry.Delete();
            using var w = archive.CreateEntry(entry.FullName).Open();
            w.Write(content, 0, content.Length / 2);
        }
        // ML.NET calls our loader by reflection, so ours arrives inside its TargetInvocationException.
        var cut = Assert.Throws<Exception>(() => ml.Model.Load(shortened, out _));
        var ours = cut.GetBaseException();
        Assert.IsInstanceOfType<InvalidDataException>(ours, cut.ToString());
        StringAssert.Contains(ours.Message, "The InceptionNeXt model stored in this ML.NET model is truncated");
        StringAssert.Contains(ours.Message, "Save the model again");
    }
}
