using InceptionNeXt.ML.MLNet;
using InceptionNeXt.Tests.Checkpoints;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>mlContext.Data.LoadFromImageFolder: paths and labels from one subfolder per label; clear errors otherwise.</summary>
[TestClass]
public sealed class ImageFolderTests
{
    [TestMethod]
    public void RowsArePathsAndTheirTopSubfolderInPathOrder()
    {
        using var dir = new TempDir();
        foreach (var f in new[] { "b/1.png", "a/x/2.JPG", "a/1.jpeg", "b/notes.txt" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir.Path, f))!);
            File.WriteAllBytes(Path.Combine(dir.Path, f), [1]);
        }
        var data = new MLContext().Data.LoadFromImageFolder(dir.Path);
        var paths = data.GetColumn<string>(nameof(ImageFolderRow.ImagePath)).Select(p => Path.GetRelativePath(dir.Path, p).Replace('\\', '/'));
        Assert.AreEqual("a/1.jpeg,a/x/2.JPG,b/1.png", string.Join(",", paths));
        Assert.AreEqual("a,a,b", string.Join(",", data.GetColumn<string>(nameof(ImageFolderRow.Label))));
    }

    [TestMethod]
    public void AFolderWithoutLabelledImagesIsRefused()
    {
        using var dir = new TempDir();
        var ml = new MLContext();
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.Data.LoadFromImageFolder(dir.Path)).Message, "holds no images");
        File.WriteAllBytes(Path.Combine(dir.Path, "loose.png"), [1]);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => ml.Data.LoadFromImageFolder(dir.Path)).Message, "loose.png");
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => ml.Data.LoadFromImageFolder(Path.Combine(dir.Path, "missing")));
    }
}
