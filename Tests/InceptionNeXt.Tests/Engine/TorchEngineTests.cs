using System.Runtime.InteropServices;
using InceptionNeXt.Training.Engine;
using TorchSharp;

namespace InceptionNeXt.Tests.Engine;

/// <summary>Engine start-up: libtorch 2.10 loads in the test host, the malloc policy takes effect, options and errors.</summary>
[TestClass]
public sealed partial class TorchEngineTests
{
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, Ordblks, Smblks, Hblks, Hblkhd, Usmblks, Fsmblks, Uordblks, Fordblks, Keepcost;
    }

    [LibraryImport("libc", EntryPoint = "mallinfo2")]
    private static partial MallInfo2 GetMallInfo2();

    [TestMethod]
    public void TorchSharpLoadsLibtorch210AndComputes()
    {
        TorchEngine.EnsureInitialized();
        StringAssert.StartsWith(torch.__version__, "2.10");
        using var x = torch.arange(1, 5, dtype: torch.float32).reshape(2, 2);
        using var y = x.matmul(x);
        CollectionAssert.AreEqual(new[] { 7f, 10f, 15f, 22f }, y.data<float>().ToArray());
    }

    [TestMethod]
    public void TheMallocPolicyKeepsLargeBuffersOutOfMmap()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("glibc only");
        if (Environment.GetEnvironmentVariable("INCEPTIONNEXT_MALLOC_TUNING") == "0") Assert.Inconclusive("policy turned off by the environment");
        TorchEngine.EnsureInitialized();
        Assert.IsTrue(TorchEngine.MallocTuned, "mallopt accepted both thresholds");

        // 16 MiB: mmapped under glibc's defaults (threshold 128 KiB, rising only as mmapped chunks are freed). Not more:
        // a thread's arena grows in heaps of at most 64 MiB, and bigger requests are mmapped whatever the threshold.
        const int size = 16 << 20;
        var before = GetMallInfo2();
        unsafe
        {
            var p = NativeMemory.Alloc(size);
            try
            {
                var during = GetMallInfo2();
                Assert.IsTrue(during.Hblkhd - before.Hblkhd < size, $"mmapped bytes grew by {during.Hblkhd - before.Hblkhd}");
                Assert.IsTrue(during.Uordblks - before.Uordblks >= size, "the buffer came from the heap");
            }
            finally
            {
                NativeMemory.Free(p);
            }
        }
    }

    [TestMethod]
    public void TheEnvironmentVariableTurnsTheMallocPolicyOff()
    {
        var saved = Environment.GetEnvironmentVariable("INCEPTIONNEXT_MALLOC_TUNING");
        try
        {
            Environment.SetEnvironmentVariable("INCEPTIONNEXT_MALLOC_TUNING", "0");
            Assert.IsFalse(new TorchEngineOptions().TuneMalloc);
            Environment.SetEnvironmentVariable("INCEPTIONNEXT_MALLOC_TUNING", null);
            Assert.IsTrue(new TorchEngineOptions().TuneMalloc);
        }
        finally
        {
            Environment.SetEnvironmentVariable("INCEPTIONNEXT_MALLOC_TUNING", saved);
        }
    }

    [TestMethod]
    public void InitializeSetsTheThreadCount()
    {
        var saved = TorchEngine.EnsureInitialized();
        var threads = torch.get_num_threads();
        try
        {
            TorchEngine.Initialize(saved with { Threads = 1 });
            Assert.AreEqual(1, torch.get_num_threads());
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TorchEngine.Initialize(saved with { Threads = 0 }));
        }
        finally
        {
            TorchEngine.Initialize(saved with { Threads = threads });
        }
    }

    [TestMethod]
    public void ALoadFailureSaysWhatToDo()
    {
        var message = TorchEngine.LoadFailureMessage(new TypeInitializationException("TorchSharp.torch",
            new NotSupportedException("libLibTorchSharp.so: version `GLIBCXX_3.4.32' not found\nmore")));
        StringAssert.Contains(message, "GLIBCXX_3.4.32' not found");
        Assert.IsFalse(message.Contains("more", StringComparison.Ordinal), "only the first line of the native error");
        if (OperatingSystem.IsLinux())
        {
            StringAssert.Contains(message, "rebuild");
            StringAssert.Contains(message, "LD_LIBRARY_PATH");
        }
    }

    [TestMethod]
    public void ChannelsLastGivesNhwcStridesAndTheSameValues()
    {
        TorchEngine.EnsureInitialized();
        using var x = torch.randn(2, 3, 4, 5);
        Assert.IsFalse(x.IsChannelsLast());
        using var y = x.ToChannelsLast();
        Assert.IsTrue(y.IsChannelsLast());
        CollectionAssert.AreEqual(new long[] { 60, 1, 15, 3 }, y.stride());
        CollectionAssert.AreEqual(x.shape, y.shape);
        Assert.IsTrue(x.allclose(y, 0, 0), "same values");
    }
}
