using InceptionNeXt.TorchSharpKeepAlive;
using Mono.Cecil;
using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Tests.Engine;

/// <summary>
/// TorchSharp 0.107 passes a <see cref="Scalar"/>'s native handle to libtorch and lets the managed object die before
/// the call returns, so a garbage collection started by another thread can run the Scalar's finalizer (which frees the
/// native scalar) while libtorch still reads it: a crash, a libtorch error ("toLong ... Expected false to be true") or a
/// wrong value. The build output carries a copy of TorchSharp.dll that keeps such arguments alive (tools/TorchSharpKeepAlive).
/// </summary>
[TestClass]
public sealed class TorchSharpScalarLifetimeTests
{
    [TestMethod]
    public void ImplicitScalarsSurviveCollectionsOnOtherThreads()
    {
        InceptionNeXt.Training.Engine.TorchEngine.EnsureInitialized();
        using var counter = zeros(1, dtype: ScalarType.Int64);
        using var stop = new CancellationTokenSource();
        // Another thread collects and finalizes without pause, as data-loading threads' allocations do in training.
        var collector = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        });
        const int Steps = 300_000;
        try
        {
            for (var i = 0; i < Steps; i++) counter.add_(1); // each call converts 1 to a new Scalar, twice (value and alpha)
        }
        finally
        {
            stop.Cancel();
            collector.Wait();
        }
        Assert.AreEqual(Steps, counter.item<long>());
    }

    [TestMethod]
    public void TheProcessRunsThePatchedCopyAndTheCacheIsUntouched()
    {
        var loaded = typeof(Scalar).Assembly.Location;
        Assert.AreEqual(Path.Combine(AppContext.BaseDirectory, "TorchSharp.dll"), loaded, "TorchSharp.dll is loaded from the build output");
        using (var output = ModuleDefinition.ReadModule(loaded))
            Assert.IsTrue(KeepAlivePatch.IsPatched(output), $"{loaded} is the patched copy");
        var cache = Path.Combine(Path.GetDirectoryName(TorchSharpFiles.CacheCopy)!, "..", "..", "..", "lib", "net8.0", "TorchSharp.dll");
        if (!File.Exists(cache)) Assert.Inconclusive($"TorchSharp 0.107.0 is not in the NuGet cache at {cache}");
        using var package = ModuleDefinition.ReadModule(cache);
        Assert.IsFalse(KeepAlivePatch.IsPatched(package), "the NuGet cache copy is as the package shipped it");
        Assert.AreEqual(package.Assembly.Name.FullName, typeof(Scalar).Assembly.FullName, "the same assembly identity");
    }
}
