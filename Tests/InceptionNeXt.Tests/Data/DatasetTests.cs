using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Data;

namespace InceptionNeXt.Tests.Data;

[TestClass]
public sealed class DatasetTests
{
    private const string FashionDir = "/usr/share/datasets/fashion-mnist";

    private const string WriteIdxScript = """
import struct, gzip, sys, random
out, gz, n, h, w = sys.argv[1], sys.argv[2] == '1', int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
rng = random.Random(7)
pix = bytes(rng.randrange(256) for _ in range(n * h * w))
lab = bytes(rng.randrange(10) for _ in range(n))
op = gzip.open if gz else open
suffix = '.gz' if gz else ''
with op(out + '/train-images-idx3-ubyte' + suffix, 'wb') as f:
    f.write(struct.pack('>IIII', 0x803, n, h, w) + pix)
with op(out + '/train-labels-idx1-ubyte' + suffix, 'wb') as f:
    f.write(struct.pack('>II', 0x801, n) + lab)
print(lab.hex()); print(pix[:h*w].hex()); print(pix[(n-1)*h*w:].hex())
""";

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void IdxMatchesPythonWrittenFiles(bool gzip)
    {
        PythonRunner.RequirePython();
        string dir = DataTestImages.TempDir("idx");
        string[] lines = PythonRunner.Run(WriteIdxScript, dir, gzip ? "1" : "0", "5", "4", "3").Split('\n');
        (string Images, string Labels) files = IdxDataset.FindSplit(dir, "train")!.Value;
        var ds = new IdxDataset(files.Images, files.Labels);
        Assert.AreEqual(5, ds.Count);
        Assert.AreEqual(3, ds.Width);
        Assert.AreEqual(4, ds.Height);
        byte[] labels = Convert.FromHexString(lines[0].Trim());
        for (int i = 0; i < 5; i++)
        {
            Assert.AreEqual(labels[i], ds.GetLabel(i));
        }

        byte[] first = Convert.FromHexString(lines[1].Trim());
        byte[] last = Convert.FromHexString(lines[2].Trim());
        var img0 = ds.Load(0);
        var img4 = ds.Load(4);
        for (int p = 0; p < 12; p++)
        {
            for (int c = 0; c < 3; c++)
            {
                Assert.AreEqual(first[p], img0.Pixels[(3 * p) + c]);
                Assert.AreEqual(last[p], img4.Pixels[(3 * p) + c]);
            }
        }

        Assert.AreEqual("0", ds.Classes[0]);
    }

    [TestMethod]
    public void IdxErrorsNameTheFile()
    {
        string dir = DataTestImages.TempDir("idxbad");
        string images = Path.Combine(dir, "imgs"), labels = Path.Combine(dir, "labs");
        File.WriteAllBytes(images, [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8]);
        File.WriteAllBytes(labels, [0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => new IdxDataset(images, labels));
        StringAssert.Contains(e.Message, "2 images");
        StringAssert.Contains(e.Message, "3 labels");

        File.WriteAllBytes(labels, [0, 0, 8, 3, 0, 0, 0, 2, 1, 2]);
        e = Assert.ThrowsExactly<InvalidDataException>(() => new IdxDataset(images, labels));
        StringAssert.Contains(e.Message, labels);
        StringAssert.Contains(e.Message, "magic");

        File.WriteAllBytes(images, [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3]);
        e = Assert.ThrowsExactly<InvalidDataException>(() => IdxFile.Read(images, 3));
        StringAssert.Contains(e.Message, images);
        StringAssert.Contains(e.Message, "truncated");
    }

    private static void WriteIdxSplit(string dir, string split, byte[] labels)
    {
        const int H = 4, W = 3;
        var images = new byte[16 + (labels.Length * H * W)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(images, 0x803);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), labels.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), H);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), W);
        var labelFile = new byte[8 + labels.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(labelFile, 0x801);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(labelFile.AsSpan(4), labels.Length);
        labels.CopyTo(labelFile, 8);
        File.WriteAllBytes(Path.Combine(dir, $"{split}-images-idx3-ubyte"), images);
        File.WriteAllBytes(Path.Combine(dir, $"{split}-labels-idx1-ubyte"), labelFile);
    }

    [TestMethod]
    public void IdxClassNamesComeFromClassesTxtOrTheLabelsOfBothSplits()
    {
        using var temp = new Checkpoints.TempDir();
        // EMNIST-like: 26 classes in train, only the first 4 in t10k, in a folder whose path says "fashion".
        string dir = Path.Combine(temp.Path, "fashion-letters");
        Directory.CreateDirectory(dir);
        WriteIdxSplit(dir, "train", Enumerable.Range(0, 52).Select(i => (byte)(i % 26)).ToArray());
        WriteIdxSplit(dir, "t10k", [0, 1, 2, 3]);

        var opened = DatasetFactory.Open(dir);
        var numbered = Enumerable.Range(0, 26).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        CollectionAssert.AreEqual(numbered, opened.Train.Classes.ToArray(), "more labels than Fashion-MNIST has names: numbered");
        CollectionAssert.AreEqual(numbered, opened.Val.Classes.ToArray(), "both splits share the classes");
        StringAssert.Contains(opened.Description, "numbered class names");
        StringAssert.Contains(opened.Description, "26 classes");
        CollectionAssert.AreEqual(IdxDataset.DigitClasses.ToArray(), new IdxDataset(Path.Combine(dir, "t10k-images-idx3-ubyte"), Path.Combine(dir, "t10k-labels-idx1-ubyte")).Classes.ToArray(),
            "a split on its own keeps MNIST's ten");

        // classes.txt names them (blank lines and spaces ignored).
        string[] letters = Enumerable.Range(0, 26).Select(i => ((char)('a' + i)).ToString()).ToArray();
        File.WriteAllText(Path.Combine(dir, IdxDataset.ClassNamesFile), string.Join("\n", letters.Select(l => $" {l} ")) + "\n\n");
        opened = DatasetFactory.Open(dir);
        CollectionAssert.AreEqual(letters, opened.Train.Classes.ToArray());
        CollectionAssert.AreEqual(letters, opened.Val.Classes.ToArray());
        StringAssert.Contains(opened.Description, "classes.txt class names");

        // Too few names, a name twice, or none: errors that name the file.
        File.WriteAllLines(Path.Combine(dir, IdxDataset.ClassNamesFile), letters.Take(20));
        var e = Assert.ThrowsExactly<InvalidDataException>(() => DatasetFactory.Open(dir));
        StringAssert.Contains(e.Message, "outside the 20 classes");
        StringAssert.Contains(e.Message, "train-labels-idx1-ubyte");
        File.WriteAllLines(Path.Combine(dir, IdxDataset.ClassNamesFile), [.. letters.Take(25), "a"]);
        e = Assert.ThrowsExactly<InvalidDataException>(() => DatasetFactory.Open(dir));
        StringAssert.Contains(e.Message, IdxDataset.ClassNamesFile);
        StringAssert.Contains(e.Message, "'a' twice");
        File.WriteAllText(Path.Combine(dir, IdxDataset.ClassNamesFile), "\n \n");
        e = Assert.ThrowsExactly<InvalidDataException>(() => DatasetFactory.Open(dir));
        StringAssert.Contains(e.Message, IdxDataset.ClassNamesFile);

        // Ten labels under a "fashion" path keep Fashion-MNIST's names; elsewhere the digits.
        File.Delete(Path.Combine(dir, IdxDataset.ClassNamesFile));
        WriteIdxSplit(dir, "train", [0, 9, 3]);
        WriteIdxSplit(dir, "t10k", [1]);
        CollectionAssert.AreEqual(IdxDataset.FashionMnistClasses.ToArray(), DatasetFactory.Open(dir).Train.Classes.ToArray());
        string digits = Path.Combine(temp.Path, "digits");
        Directory.CreateDirectory(digits);
        WriteIdxSplit(digits, "train", [0, 9, 3]);
        WriteIdxSplit(digits, "t10k", [1]);
        CollectionAssert.AreEqual(IdxDataset.DigitClasses.ToArray(), DatasetFactory.Open(digits).Train.Classes.ToArray());
    }

    [TestMethod]
    public void RealFashionMnistLoads()
    {
        if (!IdxDataset.IsIdxFolder(FashionDir))
        {
            Assert.Inconclusive($"{FashionDir} not installed.");
        }

        OpenedDatasets opened = DatasetFactory.Open(FashionDir);
        Console.WriteLine(opened.Description);
        Assert.AreEqual(60000, opened.Train.Count);
        Assert.AreEqual(10000, opened.Val.Count);
        Assert.AreEqual(9, opened.Train.GetLabel(0));
        Assert.AreEqual("Ankle boot", opened.Train.Classes[opened.Train.GetLabel(0)]);
        var (image, label) = opened.Train.Get(0);
        Assert.AreEqual(28, image.Width);
        Assert.AreEqual(9, label);
        StringAssert.Contains(opened.Description, "Fashion-MNIST");
    }

    private static string MakeFolder(string root, Dictionary<string, int> counts, string ext = ".png")
    {
        foreach ((string cls, int n) in counts)
        {
            for (int i = 0; i < n; i++)
            {
                DataTestImages.WritePng(Path.Combine(root, cls, $"img{i:D2}{ext}"), DataTestImages.Pattern(6, 5, i));
            }
        }

        return root;
    }

    [TestMethod]
    public void ImageFolderOrderingAndIndices()
    {
        string root = DataTestImages.TempDir("folder");
        MakeFolder(root, new() { ["zebra"] = 2, ["Apple"] = 1, ["apple"] = 3 });
        DataTestImages.WritePng(Path.Combine(root, "zebra", "sub", "a.PNG"), DataTestImages.Pattern(4, 4));
        File.WriteAllText(Path.Combine(root, "zebra", "notes.txt"), "x");
        var ds = new ImageFolderDataset(root);
        CollectionAssert.AreEqual(new[] { "Apple", "apple", "zebra" }, ds.Classes.ToArray());
        Assert.AreEqual(7, ds.Count);
        int[] labels = Enumerable.Range(0, ds.Count).Select(ds.GetLabel).ToArray();
        CollectionAssert.AreEqual(new[] { 0, 1, 1, 1, 2, 2, 2 }, labels);
        StringAssert.EndsWith(ds.GetName(1), Path.Combine("apple", "img00.png"));
        StringAssert.EndsWith(ds.GetName(6), Path.Combine("zebra", "sub", "a.PNG"));
        Assert.AreEqual(6, ds.Load(0).Width);

        var again = new ImageFolderDataset(root);
        CollectionAssert.AreEqual(ds.Files.ToArray(), again.Files.ToArray());
    }

    [TestMethod]
    public void ImageNetLayoutUsesTrainClassesForVal()
    {
        string root = DataTestImages.TempDir("imagenet");
        MakeFolder(Path.Combine(root, "train"), new() { ["a"] = 2, ["b"] = 2, ["c"] = 1 });
        MakeFolder(Path.Combine(root, "validation"), new() { ["c"] = 1 });
        OpenedDatasets opened = DatasetFactory.Open(root);
        StringAssert.Contains(opened.Description, "ImageNet layout");
        Assert.AreEqual(5, opened.Train.Count);
        Assert.AreEqual(1, opened.Val.Count);
        Assert.AreEqual(2, opened.Val.GetLabel(0));
        Assert.AreEqual(3, opened.Val.Classes.Count);
    }

    [TestMethod]
    public void StratifiedSplitIsDeterministicAndPerClass()
    {
        string root = DataTestImages.TempDir("split");
        MakeFolder(root, new() { ["a"] = 10, ["b"] = 20, ["c"] = 2 });
        OpenedDatasets one = DatasetFactory.Open(root, 0.2, seed: 5);
        OpenedDatasets two = DatasetFactory.Open(root, 0.2, seed: 5);
        OpenedDatasets other = DatasetFactory.Open(root, 0.2, seed: 6);
        var v1 = ((SubsetDataset)one.Val).Indices.ToArray();
        CollectionAssert.AreEqual(v1, ((SubsetDataset)two.Val).Indices.ToArray());
        CollectionAssert.AreNotEqual(v1, ((SubsetDataset)other.Val).Indices.ToArray());
        int[] perClass = new int[3];
        foreach (int i in v1)
        {
            perClass[one.Val.Source().GetLabel(i)]++;
        }

        CollectionAssert.AreEqual(new[] { 2, 4, 1 }, perClass);
        Assert.AreEqual(32, one.Train.Count + one.Val.Count);
        var all = ((SubsetDataset)one.Train).Indices.Concat(v1).Order().ToArray();
        CollectionAssert.AreEqual(Enumerable.Range(0, 32).ToArray(), all);
    }

    [TestMethod]
    public void FactoryErrorsSayWhatWasFound()
    {
        string root = DataTestImages.TempDir("empty");
        File.WriteAllText(Path.Combine(root, "readme.txt"), "x");
        File.WriteAllBytes(Path.Combine(root, "train-images-idx3-ubyte"), [0, 0, 8, 3]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => DatasetFactory.Open(root));
        Console.WriteLine(e.Message);
        StringAssert.Contains(e.Message, "readme.txt");
        StringAssert.Contains(e.Message, "incomplete");
        StringAssert.Contains(e.Message, "ImageNet-style");
        Assert.ThrowsExactly<DirectoryNotFoundException>(() => DatasetFactory.Open(Path.Combine(root, "missing")));
    }
}

internal static class SubsetExtensions
{
    public static IImageDataset Source(this IImageDataset ds) => ((SubsetDataset)ds).Source;
}
