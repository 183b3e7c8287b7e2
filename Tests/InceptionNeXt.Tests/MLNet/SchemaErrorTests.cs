using InceptionNeXt.ML.MLNet;
using Microsoft.ML;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>Fit and GetOutputSchema refuse data they cannot read, saying what is there and how to fix it.</summary>
[TestClass]
public sealed class SchemaErrorTests
{
    private sealed class NumberRow
    {
        public float ImagePath { get; set; }

        public string Label { get; set; } = "";
    }

    [TestMethod]
    public void AWrongColumnTypeSaysWhatIsExpectedAndHowToLoadImages()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new NumberRow { ImagePath = 1, Label = "cat" } });
        var estimator = ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", MLNetFixture.ModelPath);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        StringAssert.Contains(e.Message, "Column 'ImagePath' is Single, expected a path (Text), bytes (a vector of Byte) or an image (MLImage)");
        StringAssert.Contains(e.Message, "mlContext.Transforms.LoadImages");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => estimator.Fit(ml.Data.LoadFromEnumerable(new[] { new ImagePathRow() })).Transform(data));
    }

    [TestMethod]
    public void AMissingColumnListsTheColumnsThereAre()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new ImagePathRow { ImagePath = "a.png" } });
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Transforms.ScoreImagesWithInceptionNeXt("Picture", MLNetFixture.ModelPath).Fit(data));
        StringAssert.Contains(e.Message, "Input column 'Picture' not found. The data has: 'ImagePath' (String), 'Label' (String)");
    }

    [TestMethod]
    public void OptionsOutOfRangeAreRefused()
    {
        var ml = new MLContext(seed: 1);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Transforms.FeaturizeImagesWithInceptionNeXt("F", "ImagePath", MLNetFixture.ModelPath, new() { BatchSize = 0 }));
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Transforms.FeaturizeImagesWithInceptionNeXt("F", "ImagePath", MLNetFixture.ModelPath, new() { ErrorColumnName = "Error" }));
        StringAssert.Contains(e.Message, "UnreadableImagePolicy.Skip");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.Transforms.FeaturizeImagesWithInceptionNeXt("F", "ImagePath", MLNetFixture.ModelPath, new() { OnUnreadableImage = (UnreadableImagePolicy)7 }));
    }
}
