using InceptionNeXt.ML.Imaging;
using InceptionNeXt.ML.MLNet;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Training.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace InceptionNeXt.Tests.Imaging;

/// <summary>Finding image files: symbolic links to folders are followed, loops and repeated folders are not.</summary>
[TestClass]
public sealed class ImageFilesTests
{
    // root/cat/a.png, root/cat/loop -> root, root/dog/b.jpg, root/dog/self -> root/dog, root/dog2 -> root/dog,
    // root/zebra -> elsewhere/zebra (a real folder outside the root, reached only through its link).
    private static (string Root, string[] Expected) MakeTree(TempDir dir)
    {
        var root = Directory.CreateDirectory(dir.File("root")).FullName;
        Directory.CreateDirectory(Path.Combine(root, "cat"));
        Directory.CreateDirectory(Path.Combine(root, "dog"));
        Directory.CreateDirectory(dir.File("elsewhere/zebra"));
        string[] files = [Path.Combine(root, "cat", "a.png"), Path.Combine(root, "dog", "b.jpg"), dir.File("elsewhere/zebra/c.png")];
        foreach (var f in files) File.WriteAllBytes(f, [1]);
        Directory.CreateSymbolicLink(Path.Combine(root, "cat", "loop"), root);
        Directory.CreateSymbolicLink(Path.Combine(root, "dog", "self"), Path.Combine(root, "dog"));
        Directory.CreateSymbolicLink(Path.Combine(root, "dog2"), Path.Combine(root, "dog"));
        Directory.CreateSymbolicLink(Path.Combine(root, "zebra"), dir.File("elsewhere/zebra"));
        return (root, [files[0], files[1], Path.Combine(root, "zebra", "c.png")]);
    }

    [TestMethod]
    public void LinkedFoldersAreFollowedOnceAndLoopsAreNot()
    {
        if (OperatingSystem.IsWindows()) Assert.Inconclusive("symbolic links need privileges on Windows");
        using var dir = new TempDir();
        var (root, expected) = MakeTree(dir);
        CollectionAssert.AreEqual(expected, ImageFiles.Enumerate(root).ToArray());
    }

    [TestMethod]
    public void FilesInOtherImageFormatsAreCountedAndNamedNotSilentlyDropped()
    {
        using var dir = new TempDir();
        var root = Directory.CreateDirectory(dir.File("root")).FullName;
        foreach (var f in new[] { "cat/a.png", "cat/b.webp", "cat/c.WEBP", "dog/d.jpg", "dog/e.bmp", "dog/notes.txt", "dog/deep/f.gif" })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(root, f))!);
            File.WriteAllBytes(Path.Combine(root, f), [1]);
        }

        var scan = ImageFiles.Scan(root);
        CollectionAssert.AreEqual(new[] { Path.Combine(root, "cat", "a.png"), Path.Combine(root, "dog", "d.jpg") }, scan.Images.ToArray());
        CollectionAssert.AreEquivalent(new Dictionary<string, int> { [".bmp"] = 1, [".gif"] = 1, [".webp"] = 2 }, scan.UnreadImageFiles.ToDictionary());
        Assert.AreEqual("1 .bmp, 1 .gif and 2 .webp files not read (only .jpg, .jpeg and .png are: convert them to PNG or JPEG)", scan.UnreadSummary);
        CollectionAssert.AreEqual(scan.Images.ToArray(), ImageFiles.Enumerate(root).ToArray());

        // Training data says so in its description; a folder of only such files is refused, saying why.
        var opened = DatasetFactory.Open(root, validationFraction: 0.5);
        StringAssert.Contains(opened.Description, "; 1 .bmp, 1 .gif and 2 .webp files not read");
        foreach (var f in new[] { "cat/a.png", "dog/d.jpg" }) File.Delete(Path.Combine(root, f));
        Assert.AreEqual("1 .gif file not read (only .jpg, .jpeg and .png are: convert it to PNG or JPEG)", ImageFiles.Scan(Path.Combine(root, "dog", "deep")).UnreadSummary);
        var refused = Assert.ThrowsExactly<InvalidDataException>(() => DatasetFactory.Open(root, validationFraction: 0.5));
        StringAssert.Contains(refused.Message, "4 file(s) in other image formats, not read");
        var mlnet = Assert.ThrowsExactly<ArgumentException>(() => ImageFolderCatalog.ReadImageFolder(root));
        StringAssert.Contains(mlnet.Message, "It has 1 .bmp, 1 .gif and 2 .webp files not read");
    }

    [TestMethod]
    public void DatasetsAndImageFolderViewsListEachImageOnce()
    {
        if (OperatingSystem.IsWindows()) Assert.Inconclusive("symbolic links need privileges on Windows");
        using var dir = new TempDir();
        var (root, _) = MakeTree(dir);
        var dataset = new ImageFolderDataset(root);
        Assert.AreEqual(3, dataset.Count, "cat/a.png, dog/b.jpg, zebra/c.png; nothing through cat/loop, dog/self or dog2");

        var ml = new MLContext();
        var paths = ml.Data.LoadFromImageFolder(root).GetColumn<string>("ImagePath").ToArray();
        Assert.HasCount(3, paths, string.Join(", ", paths));
    }
}
