using System.Buffers.Binary;
using System.Text;
using InceptionNeXt.ML.Caching;
using InceptionNeXt.Tests.Checkpoints;

namespace InceptionNeXt.Tests.Caching;

/// <summary>FeatureCache: persistence, keys, damage tolerance, concurrency and counters.</summary>
[TestClass]
public sealed class FeatureCacheTests
{
    private static readonly string s_model = new('a', 64);

    private static float[] Vector(int seed, int length = 6) =>
        Enumerable.Range(0, length).Select(i => (float)Math.Sin(seed * 31 + i) * 100).ToArray();

    private static float[] Get(FeatureCache cache, string key)
    {
        Assert.IsTrue(cache.TryGet(key, out float[]? features), $"'{key}' should hit");
        return features;
    }

    [TestMethod]
    public void RoundTripsAcrossInstances()
    {
        using var dir = new TempDir();
        float[] special = [float.NaN, -0f, float.PositiveInfinity, float.Epsilon, -1.5e30f, 1];
        using (var cache = new FeatureCache(dir.Path, s_model))
        {
            Assert.AreEqual(0, cache.Count);
            Assert.IsNull(cache.Warning);
            for (var i = 0; i < 3; i++) cache.Put("k" + i, Vector(i));
            cache.Put("special", special);
            cache.Put("unicode é 画像", Vector(9));
        }

        Assert.IsTrue(File.Exists(Path.Combine(dir.Path, s_model, FeatureCache.FileName)));
        using (var cache = new FeatureCache(dir.Path, s_model))
        {
            Assert.IsNull(cache.Warning);
            Assert.AreEqual(5, cache.Count);
            Assert.AreEqual(6, cache.Dimension);
            for (var i = 0; i < 3; i++) CollectionAssert.AreEqual(Vector(i), Get(cache, "k" + i));
            CollectionAssert.AreEqual(Vector(9), Get(cache, "unicode é 画像"));
            float[] back = Get(cache, "special");
            for (var i = 0; i < special.Length; i++)
                Assert.AreEqual(BitConverter.SingleToInt32Bits(special[i]), BitConverter.SingleToInt32Bits(back[i]), $"bits of [{i}]");

            // Callers get copies: changing them does not change the cache.
            back[0] = 42;
            Assert.IsTrue(float.IsNaN(Get(cache, "special")[0]));
            float[] input = Vector(5);
            cache.Put("k5", input);
            input[0] = 42;
            CollectionAssert.AreEqual(Vector(5), Get(cache, "k5"));

            // A later value for a key replaces the earlier one, also after reopening.
            cache.Put("k0", Vector(100));
        }

        using (var cache = new FeatureCache(dir.Path, s_model))
        {
            Assert.AreEqual(6, cache.Count);
            CollectionAssert.AreEqual(Vector(100), Get(cache, "k0"));
            CollectionAssert.AreEqual(Vector(5), Get(cache, "k5"));
        }
    }

    [TestMethod]
    public void TouchedOrEditedFileMisses()
    {
        using var dir = new TempDir();
        string image = dir.File("image.png");
        File.WriteAllBytes(image, [1, 2, 3, 4]);
        string key = FeatureCache.FileKey(image);
        Assert.AreEqual(key, FeatureCache.FileKey(Path.Combine(dir.Path, ".", "image.png")), "the path is made full");
        StringAssert.Contains(key, Path.GetFullPath(image));

        using var cache = new FeatureCache(dir.File("cache"), s_model);
        cache.Put(key, Vector(1));
        Assert.IsTrue(cache.TryGet(FeatureCache.FileKey(image), out _));

        File.SetLastWriteTimeUtc(image, File.GetLastWriteTimeUtc(image).AddSeconds(-10));
        string touched = FeatureCache.FileKey(image);
        Assert.AreNotEqual(key, touched);
        Assert.IsFalse(cache.TryGet(touched, out _));

        var time = File.GetLastWriteTimeUtc(image);
        File.WriteAllBytes(image, [1, 2, 3, 4, 5]);
        File.SetLastWriteTimeUtc(image, time); // same time, new length
        Assert.IsFalse(cache.TryGet(FeatureCache.FileKey(image), out _));

        Assert.ThrowsExactly<FileNotFoundException>(() => FeatureCache.FileKey(dir.File("missing.png")));

        byte[] bytes = [9, 8, 7];
        Assert.AreEqual(FeatureCache.ContentKey(bytes), FeatureCache.ContentKey([9, 8, 7]));
        Assert.AreNotEqual(FeatureCache.ContentKey(bytes), FeatureCache.ContentKey([9, 8, 6]));
        StringAssert.StartsWith(FeatureCache.ContentKey(bytes), "sha256:");
        Assert.AreEqual(7 + 64, FeatureCache.ContentKey(bytes).Length);
    }

    [TestMethod]
    public void DifferentModelKeyMisses()
    {
        using var dir = new TempDir();
        string modelA = dir.File("a.onnx"), modelB = dir.File("b.onnx");
        File.WriteAllBytes(modelA, [1, 2, 3, 4, 5]);
        File.WriteAllBytes(modelB, [1, 2, 3, 4, 6]);
        string keyA = FeatureCache.ModelKey(modelA, "resize 224 bilinear, imagenet mean/std", "features");
        Assert.AreEqual(64, keyA.Length);
        Assert.IsTrue(keyA.All(Uri.IsHexDigit));
        Assert.AreEqual(keyA, FeatureCache.ModelKey(modelA, "resize 224 bilinear, imagenet mean/std", "features"));
        Assert.AreNotEqual(keyA, FeatureCache.ModelKey(modelB, "resize 224 bilinear, imagenet mean/std", "features"), "model bytes");
        Assert.AreNotEqual(keyA, FeatureCache.ModelKey(modelA, "resize 256 bicubic, imagenet mean/std", "features"), "preprocessing");
        Assert.AreNotEqual(keyA, FeatureCache.ModelKey(modelA, "resize 224 bilinear, imagenet mean/std", "logits"), "output");
        Assert.AreNotEqual(FeatureCache.ModelKey(modelA, "ab", "c"), FeatureCache.ModelKey(modelA, "a", "bc"), "parts are delimited");

        string keyB = FeatureCache.ModelKey(modelB, "resize 224 bilinear, imagenet mean/std", "features");
        using (var a = new FeatureCache(dir.File("cache"), keyA)) a.Put("img", Vector(1));
        using (var b = new FeatureCache(dir.File("cache"), keyB))
        {
            Assert.AreEqual(0, b.Count);
            Assert.IsFalse(b.TryGet("img", out _));
            Assert.IsNull(b.Warning);
        }

        using (var a = new FeatureCache(dir.File("cache"), keyA)) CollectionAssert.AreEqual(Vector(1), Get(a, "img"));

        // A file copied under another model's folder is recognised as foreign by its header.
        string copied = Path.Combine(dir.File("cache"), "other", FeatureCache.FileName);
        Directory.CreateDirectory(Path.GetDirectoryName(copied)!);
        File.Copy(Path.Combine(dir.File("cache"), keyA, FeatureCache.FileName), copied);
        using var other = new FeatureCache(dir.File("cache"), "other");
        Assert.AreEqual(0, other.Count);
        StringAssert.Contains(other.Warning, "another model key");

        Assert.ThrowsExactly<ArgumentException>(() => new FeatureCache(dir.Path, "../escape"));
    }

    /// <summary>Writes records k0, k1, k2 (same-length keys, so same-size records) and returns (file, header length, record length).</summary>
    private static (string File, int Header, int Record) ThreeRecords(TempDir dir)
    {
        using (var cache = new FeatureCache(dir.Path, s_model))
            for (var i = 0; i < 3; i++) cache.Put("k" + i, Vector(i));
        string file = Path.Combine(dir.Path, s_model, FeatureCache.FileName);
        int header = 16 + s_model.Length + 8;
        int record = 12 + 4 + 2 + 4 + 6 * 4;
        Assert.AreEqual(header + 3 * record, new FileInfo(file).Length, "format layout");
        return (file, header, record);
    }

    [TestMethod]
    public void TruncatedTailDropsOnlyTheTornRecord()
    {
        using var dir = new TempDir();
        (string file, _, _) = ThreeRecords(dir);
        using (var stream = new FileStream(file, FileMode.Open)) stream.SetLength(stream.Length - 3);

        using (var cache = new FeatureCache(dir.Path, s_model))
        {
            StringAssert.Contains(cache.Warning, "dropped");
            Assert.AreEqual(2, cache.Count);
            CollectionAssert.AreEqual(Vector(0), Get(cache, "k0"));
            CollectionAssert.AreEqual(Vector(1), Get(cache, "k1"));
            Assert.IsFalse(cache.TryGet("k2", out _));
            cache.Put("k3", Vector(3)); // the torn tail is cut before this is appended
        }

        using (var cache = new FeatureCache(dir.Path, s_model))
        {
            Assert.IsNull(cache.Warning);
            Assert.AreEqual(3, cache.Count);
            CollectionAssert.AreEqual(Vector(3), Get(cache, "k3"));
        }
    }

    [TestMethod]
    public void CorruptedRecordsAreDroppedNotReturned()
    {
        using var dir = new TempDir();
        (string file, int header, int record) = ThreeRecords(dir);
        byte[] intact = File.ReadAllBytes(file);

        // A flipped bit in the last vector: the checksum rejects it.
        byte[] bytes = (byte[])intact.Clone();
        bytes[^1] ^= 0x01;
        File.WriteAllBytes(file, bytes);
        using (var cache = new FeatureCache(dir.Path, s_model))
        {
            Assert.AreEqual(2, cache.Count);
            Assert.IsFalse(cache.TryGet("k2", out _));
            StringAssert.Contains(cache.Warning, $"dropped {record} bytes");
        }

        // Damage in the middle record: loading stops there, the first survives.
        bytes = (byte[])intact.Clone();
        bytes[header + record + 20] ^= 0x80;
        File.WriteAllBytes(file, bytes);
        using (var cache = new FeatureCache(dir.Path, s_model))
        {
            Assert.AreEqual(1, cache.Count);
            CollectionAssert.AreEqual(Vector(0), Get(cache, "k0"));
        }

        // A record length pointing past the end of the file.
        bytes = (byte[])intact.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(header + 2 * record), 1_000_000);
        File.WriteAllBytes(file, bytes);
        using (var cache = new FeatureCache(dir.Path, s_model)) Assert.AreEqual(2, cache.Count);

        // Garbage after whole records (a torn append of random bytes).
        var random = new byte[100];
        new Random(3).NextBytes(random);
        File.WriteAllBytes(file, [.. intact, .. random]);
        using (var cache = new FeatureCache(dir.Path, s_model))
        {
            Assert.AreEqual(3, cache.Count);
            StringAssert.Contains(cache.Warning, "dropped 100 bytes");
            CollectionAssert.AreEqual(Vector(2), Get(cache, "k2"));
        }
    }

    [TestMethod]
    public void UnusableHeaderStartsEmptyAndIsReplaced()
    {
        using var dir = new TempDir();
        (string file, _, _) = ThreeRecords(dir);
        byte[] intact = File.ReadAllBytes(file);

        byte[] otherVersion = (byte[])intact.Clone();
        BinaryPrimitives.WriteInt32LittleEndian(otherVersion.AsSpan(8), FeatureCache.FormatVersion + 1);
        byte[] damagedKey = (byte[])intact.Clone();
        damagedKey[20] ^= 0x10;
        var cases = new (byte[] Bytes, string Warning)[]
        {
            (otherVersion, $"format version {FeatureCache.FormatVersion + 1}"),
            (damagedKey, "damaged"),
            (Encoding.ASCII.GetBytes("this is not a cache file at all"), "not a feature cache"),
            ([(byte)'I', (byte)'N'], "incomplete"),
        };
        foreach ((byte[] content, string warning) in cases)
        {
            File.WriteAllBytes(file, content);
            using (var cache = new FeatureCache(dir.Path, s_model))
            {
                Assert.AreEqual(0, cache.Count, warning);
                StringAssert.Contains(cache.Warning, warning);
                cache.Put("fresh", Vector(7));
            }

            using (var cache = new FeatureCache(dir.Path, s_model))
            {
                Assert.IsNull(cache.Warning, warning);
                Assert.AreEqual(1, cache.Count, warning);
                CollectionAssert.AreEqual(Vector(7), Get(cache, "fresh"));
            }
        }

        Assert.HasCount(1, Directory.GetFiles(Path.GetDirectoryName(file)!), "no temporary files are left behind");
    }

    [TestMethod]
    public void MismatchedVectorLengthIsRejected()
    {
        using var dir = new TempDir();
        using (var cache = new FeatureCache(dir.Path, s_model))
        {
            Assert.AreEqual(0, cache.Dimension);
            cache.Put("a", Vector(1, 8));
            var e = Assert.ThrowsExactly<ArgumentException>(() => cache.Put("b", Vector(2, 7)));
            StringAssert.Contains(e.Message, "has 7 values but this cache holds vectors of 8");
            Assert.ThrowsExactly<ArgumentException>(() => cache.Put("a", []));
        }

        using (var cache = new FeatureCache(dir.Path, s_model))
        {
            Assert.AreEqual(8, cache.Dimension);
            Assert.ThrowsExactly<ArgumentException>(() => cache.Put("c", Vector(3, 9)));
            Assert.AreEqual(1, cache.Count);
        }
    }

    [TestMethod]
    public void ConcurrentPutAndGetFrom16Threads()
    {
        using var dir = new TempDir();
        const int Threads = 16, PerThread = 200;
        long gets = 0;
        using (var cache = new FeatureCache(dir.Path, s_model))
        {
            using var start = new Barrier(Threads);
            // Tasks, not threads: a failed assertion inside surfaces through WaitAll instead of killing the test host.
            var workers = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(() =>
            {
                var rng = new Random(t);
                start.SignalAndWait();
                for (var j = 0; j < PerThread; j++)
                {
                    string key = $"t{t}-{j}";
                    cache.Put(key, Vector(t * 1000 + j, 32));
                    Assert.IsTrue(cache.TryGet(key, out float[]? mine));
                    CollectionAssert.AreEqual(Vector(t * 1000 + j, 32), mine);
                    int other = rng.Next(Threads), index = rng.Next(PerThread);
                    if (cache.TryGet($"t{other}-{index}", out float[]? theirs))
                        CollectionAssert.AreEqual(Vector(other * 1000 + index, 32), theirs);
                    Interlocked.Add(ref gets, 2);
                    if (t % 4 == 0 && j % 50 == 0) cache.Flush();
                }
            }, TaskCreationOptions.LongRunning)).ToArray();
            Task.WaitAll(workers);
            Assert.AreEqual(Threads * PerThread, cache.Count);
            Assert.AreEqual(gets, cache.Hits + cache.Misses);
            Assert.IsGreaterThanOrEqualTo((long)Threads * PerThread, cache.Hits); // every own key hits
        }

        using (var cache = new FeatureCache(dir.Path, s_model))
        {
            Assert.IsNull(cache.Warning);
            Assert.AreEqual(Threads * PerThread, cache.Count);
            for (var t = 0; t < Threads; t++)
                for (var j = 0; j < PerThread; j++)
                    CollectionAssert.AreEqual(Vector(t * 1000 + j, 32), Get(cache, $"t{t}-{j}"));
        }
    }

    [TestMethod]
    public void CountersCountHitsAndMisses()
    {
        using var dir = new TempDir();
        using var cache = new FeatureCache(dir.Path, s_model);
        Assert.AreEqual((0L, 0L), (cache.Hits, cache.Misses));
        Assert.IsFalse(cache.TryGet("x", out float[]? none));
        Assert.IsNull(none);
        cache.Put("x", Vector(1));
        Assert.IsTrue(cache.TryGet("x", out _));
        Assert.IsTrue(cache.TryGet("x", out _));
        Assert.IsFalse(cache.TryGet("y", out _));
        Assert.AreEqual((2L, 2L), (cache.Hits, cache.Misses));
    }

    [TestMethod]
    public void InstancesSharingACacheKeepEachOthersEntries()
    {
        using var dir = new TempDir();
        using (var first = new FeatureCache(dir.Path, s_model))
        using (var second = new FeatureCache(dir.Path, s_model))
        {
            first.Put("a", Vector(1));
            first.Flush();
            second.Put("b", Vector(2));
            second.Flush(); // finds "a" appended after it loaded and keeps it
            first.Put("c", Vector(3));
        }

        using var cache = new FeatureCache(dir.Path, s_model);
        Assert.IsNull(cache.Warning);
        Assert.AreEqual(3, cache.Count);
        CollectionAssert.AreEqual(Vector(1), Get(cache, "a"));
        CollectionAssert.AreEqual(Vector(2), Get(cache, "b"));
        CollectionAssert.AreEqual(Vector(3), Get(cache, "c"));
    }

    [TestMethod]
    public void AFailedWriteThrowsFromFlushAndTurnsTheCacheMemoryOnlyInTryFlush()
    {
        using var dir = new TempDir();
        var cache = new FeatureCache(dir.Path, s_model);
        cache.Put("a", Vector(1));
        Assert.IsTrue(cache.TryFlush());
        Assert.IsNull(cache.WriteError);

        // The record file becomes something no write can replace (as a full disk or a read-only folder would refuse).
        File.Delete(cache.FilePath);
        Directory.CreateDirectory(cache.FilePath);
        File.WriteAllText(Path.Combine(cache.FilePath, "keep"), "x");
        cache.Put("b", Vector(2));
        var thrown = Assert.Throws<Exception>(cache.Flush);
        Assert.IsTrue(thrown is IOException or UnauthorizedAccessException, thrown.ToString());
        Assert.IsNull(cache.WriteError, "Flush reports by throwing and keeps the entry queued");

        Assert.IsFalse(cache.TryFlush());
        Assert.IsNotNull(cache.WriteError);
        StringAssert.Contains(cache.WriteError.Message, FeatureCache.FileName, "the error names the file");
        cache.Put("c", Vector(3));
        Assert.IsFalse(cache.TryFlush(), "memory-only for the rest of its life");
        cache.Flush(); // nothing queued: no write, no throw
        CollectionAssert.AreEqual(Vector(1), Get(cache, "a"));
        CollectionAssert.AreEqual(Vector(2), Get(cache, "b"));
        CollectionAssert.AreEqual(Vector(3), Get(cache, "c"));
        cache.Dispose(); // writes nothing, throws nothing
        Assert.IsTrue(File.Exists(Path.Combine(cache.FilePath, "keep")), "the obstacle is left as it was");

        // Once writable again, a new instance starts from what reached the disk and writes again.
        Directory.Delete(cache.FilePath, recursive: true);
        using var again = new FeatureCache(dir.Path, s_model);
        Assert.AreEqual(0, again.Count);
        again.Put("d", Vector(4));
        Assert.IsTrue(again.TryFlush());
        Assert.IsNull(again.WriteError);
    }

    [TestMethod]
    public void DisposedCacheRefusesWork()
    {
        using var dir = new TempDir();
        var cache = new FeatureCache(dir.Path, s_model);
        cache.Dispose();
        cache.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => cache.Put("a", Vector(1)));
        Assert.ThrowsExactly<ObjectDisposedException>(() => cache.TryGet("a", out _));
        Assert.ThrowsExactly<ObjectDisposedException>(cache.Flush);
        Assert.ThrowsExactly<ObjectDisposedException>(() => cache.TryFlush());
    }
}
