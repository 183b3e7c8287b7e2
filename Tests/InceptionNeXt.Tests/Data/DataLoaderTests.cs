using System.Diagnostics;
using InceptionNeXt.ML.Imaging;
using InceptionNeXt.Training.Data;

namespace InceptionNeXt.Tests.Data;

[TestClass]
public sealed class DataLoaderTests
{
    private const string FashionDir = "/usr/share/datasets/fashion-mnist";

    /// <summary>In-memory dataset: sample i is a pattern seeded by i; listed indices fail to load.</summary>
    private sealed class FakeDataset(int count, int size = 12, HashSet<int>? broken = null, int delayMs = 0) : IImageDataset
    {
        public int Count => count;

        public IReadOnlyList<string> Classes { get; } = ["a", "b", "c"];

        public int GetLabel(int index) => index % 3;

        public string GetName(int index) => $"fake/{index}.png";

        public RgbImage Load(int index)
        {
            if (delayMs > 0)
            {
                Thread.Sleep(delayMs);
            }

            if (broken?.Contains(index) == true)
            {
                throw new InvalidImageException($"fake/{index}.png", $"fake/{index}.png: not a PNG file");
            }

            return DataTestImages.Pattern(size, size, index);
        }
    }

    private static IImageTransform SmallTransform() => new TrainTransform(new TrainTransformOptions
    {
        ImageSize = 8, Scale = (0.35, 1), AutoAugment = "rand-m9-mstd0.5-inc1", ReProb = 0.25, Mean = [0.5f, 0.5f, 0.5f], Std = [0.5f, 0.5f, 0.5f],
    });

    private static List<Batch> Collect(DataLoader loader, int epoch) => loader.GetEpoch(epoch).ToList();

    [TestMethod]
    public void SameSeedSameBatchesRegardlessOfWorkers()
    {
        var ds = new FakeDataset(53);
        using var a = new DataLoader(ds, SmallTransform(), new DataLoaderOptions { BatchSize = 8, Workers = 1, Seed = 3 });
        using var b = new DataLoader(ds, SmallTransform(), new DataLoaderOptions { BatchSize = 8, Workers = 4, Seed = 3 });
        using var c = new DataLoader(ds, SmallTransform(), new DataLoaderOptions { BatchSize = 8, Workers = 4, Seed = 4 });
        List<Batch> ba = Collect(a, 0), bb = Collect(b, 0), bc = Collect(c, 0);
        Assert.HasCount(7, ba);
        Assert.HasCount(7, bb);
        for (int i = 0; i < ba.Count; i++)
        {
            Assert.AreEqual(i, ba[i].Index);
            CollectionAssert.AreEqual(ba[i].SampleIndices, bb[i].SampleIndices);
            CollectionAssert.AreEqual(ba[i].Labels, bb[i].Labels);
            CollectionAssert.AreEqual(ba[i].Images, bb[i].Images);
        }

        CollectionAssert.AreNotEqual(ba[0].SampleIndices, bc[0].SampleIndices);
        Assert.IsFalse(ba.SelectMany(x => x.Images).SequenceEqual(bc.SelectMany(x => x.Images)));

        // Another epoch: different order and augmentations.
        List<Batch> e1 = Collect(a, 1);
        CollectionAssert.AreNotEqual(ba[0].SampleIndices, e1[0].SampleIndices);
    }

    [TestMethod]
    public void EverySampleOncePerEpochAndDropLast()
    {
        var ds = new FakeDataset(50);
        using var loader = new DataLoader(ds, SmallTransform(), new DataLoaderOptions { BatchSize = 16, Workers = 3, Seed = 1 });
        List<Batch> batches = Collect(loader, 2);
        CollectionAssert.AreEqual(new[] { 16, 16, 16, 2 }, batches.Select(x => x.Count).ToArray());
        CollectionAssert.AreEqual(Enumerable.Range(0, 50).ToArray(), batches.SelectMany(x => x.SampleIndices).Order().ToArray());
        Assert.IsTrue(batches.All(x => x.Images.Length == x.Count * 3 * 8 * 8));
        Assert.IsTrue(batches.All(x => x.Labels.Zip(x.SampleIndices).All(p => p.First == p.Second % 3)));

        using var drop = new DataLoader(ds, SmallTransform(), new DataLoaderOptions { BatchSize = 16, Workers = 2, DropLast = true, Shuffle = false });
        List<Batch> dropped = Collect(drop, 0);
        Assert.HasCount(3, dropped);
        CollectionAssert.AreEqual(Enumerable.Range(0, 48).ToArray(), dropped.SelectMany(x => x.SampleIndices).ToArray());
    }

    [TestMethod]
    public void CorruptSamplesAreSkippedAndCounted()
    {
        var ds = new FakeDataset(20, broken: [3, 4, 17]);
        using var loader = new DataLoader(ds, SmallTransform(), new DataLoaderOptions { BatchSize = 5, Workers = 2, Shuffle = false });
        List<Batch> batches = Collect(loader, 0);
        CollectionAssert.AreEqual(new[] { 3, 5, 5, 4 }, batches.Select(x => x.Count).ToArray());
        Assert.AreEqual(3, loader.SkippedCount);
        var report = loader.SkippedInEpoch(0);
        CollectionAssert.AreEqual(new[] { "fake/3.png", "fake/4.png", "fake/17.png" }, report.Select(s => s.Name).ToArray());
        StringAssert.Contains(report[0].Reason, "not a PNG");
        Collect(loader, 1);
        Assert.AreEqual(6, loader.SkippedCount);
        Assert.HasCount(3, loader.SkippedInEpoch(1));
    }

    [TestMethod]
    public void CorruptFileInImageFolderIsSkipped()
    {
        string root = DataTestImages.TempDir("corrupt");
        for (int i = 0; i < 6; i++)
        {
            DataTestImages.WritePng(Path.Combine(root, i % 2 == 0 ? "even" : "odd", $"{i}.png"), DataTestImages.Pattern(10, 10, i));
        }

        File.WriteAllBytes(Path.Combine(root, "odd", "broken.jpg"), [0xFF, 0xD8, 0xFF, 0x00, 0x01]);
        var ds = new ImageFolderDataset(root);
        Assert.AreEqual(7, ds.Count);
        using var loader = new DataLoader(ds, SmallTransform(), new DataLoaderOptions { BatchSize = 4, Workers = 2, Seed = 9 });
        int total = Collect(loader, 0).Sum(x => x.Count);
        Assert.AreEqual(6, total);
        Assert.AreEqual(1, loader.SkippedCount);
        StringAssert.EndsWith(loader.Skipped[0].Name, "broken.jpg");
    }

    [TestMethod]
    public void PrefetchIsBounded()
    {
        var ds = new FakeDataset(400, size: 8);
        using var loader = new DataLoader(ds, SmallTransform(), new DataLoaderOptions { BatchSize = 4, Workers = 4, Prefetch = 3, Seed = 1 });
        int n = 0;
        foreach (Batch _ in loader.GetEpoch(0))
        {
            Thread.Sleep(n < 5 ? 60 : 0);
            n++;
        }

        Assert.AreEqual(100, n);
        Assert.IsTrue(loader.PeakPrefetched is >= 2 and <= 3, $"peak {loader.PeakPrefetched}");
    }

    [TestMethod]
    public void CancellationAndDisposeStopTheEpoch()
    {
        var ds = new FakeDataset(1000, delayMs: 2);
        using var cts = new CancellationTokenSource();
        using var loader = new DataLoader(ds, SmallTransform(), new DataLoaderOptions { BatchSize = 4, Workers = 2, Seed = 1 });
        int n = 0;
        var sw = Stopwatch.StartNew();
        Assert.ThrowsExactly<OperationCanceledException>(() =>
        {
            foreach (Batch _ in loader.GetEpoch(0, cts.Token))
            {
                if (++n == 3)
                {
                    cts.Cancel();
                }
            }
        });
        Assert.IsLessThan(10, sw.Elapsed.TotalSeconds);

        // Leaving early then starting another epoch works (the first run's workers were stopped).
        Assert.AreEqual(2, loader.GetEpoch(1).Take(2).Count());
        Assert.AreEqual(1, loader.GetEpoch(2).Take(1).Count());

        var other = new DataLoader(ds, SmallTransform(), new DataLoaderOptions { BatchSize = 4, Workers = 2 });
        using IEnumerator<Batch> e = other.GetEpoch(0).GetEnumerator();
        Assert.IsTrue(e.MoveNext());
        other.Dispose();
        Assert.ThrowsExactly<OperationCanceledException>(() =>
        {
            while (e.MoveNext())
            {
            }
        });
        Assert.ThrowsExactly<ObjectDisposedException>(() => other.GetEpoch(1));
    }

    [TestMethod]
    public void FashionMnistThroughput()
    {
        if (!IdxDataset.IsIdxFolder(FashionDir))
        {
            Assert.Inconclusive($"{FashionDir} not installed.");
        }

        IImageDataset train = IdxDataset.OpenFolder(FashionDir, "train");
        foreach ((string name, TrainTransformOptions opts) in new[]
        {
            ("RRC(0.35,1)+flip+jitter", new TrainTransformOptions { ImageSize = 32, Scale = (0.35, 1), Mean = [0.286f, 0.286f, 0.286f], Std = [0.353f, 0.353f, 0.353f] }),
            ("RRC+flip+RandAugment m9+RE0.25", new TrainTransformOptions { ImageSize = 32, Scale = (0.35, 1), AutoAugment = "rand-m9-mstd0.5-inc1", ReProb = 0.25 }),
        })
        {
            using var loader = new DataLoader(train, new TrainTransform(opts), new DataLoaderOptions { BatchSize = 128, Workers = 2, Seed = 0 });
            var sw = Stopwatch.StartNew();
            int batches = loader.GetEpoch(0).Take(60).Count();
            double seconds = sw.Elapsed.TotalSeconds;
            Console.WriteLine($"Fashion-MNIST 32px, 2 workers, batch 128, {name}: {batches / seconds:F1} batches/s ({batches * 128 / seconds:F0} images/s)");
            Assert.AreEqual(60, batches);
        }
    }
}
