using InceptionNeXt.ElfVersionPatcher;

namespace InceptionNeXt.Tests.Engine;

/// <summary>
/// The build (InceptionNeXt.Training/buildTransitive/InceptionNeXt.Training.targets) put the right libLibTorchSharp.so
/// next to this test assembly: the patched copy where this machine's libstdc++ lacks GLIBCXX_3.4.32, the package's own
/// file otherwise, and in both cases left the NuGet cache's copy as the package shipped it.
/// </summary>
[TestClass]
public sealed class BuildOutputPatchTests
{
    [TestMethod]
    public void TheOutputCopyIsPatchedExactlyWhenThisMachineNeedsItAndTheCacheIsUntouched()
    {
        TorchSharpFiles.RequireLinuxPackage();
        Assert.IsTrue(File.Exists(TorchSharpFiles.OutputCopy), $"no {TorchSharpFiles.OutputCopy}");
        var cache = ElfFile.Read(TorchSharpFiles.CacheCopy);
        var libstdcxx = LibStdCxxProbe.Find() ?? throw new AssertFailedException("no libstdc++ found");
        var plan = WeakVersionPatch.Plan(cache, LibStdCxxProbe.Soname, ElfFile.Read(libstdcxx).VersionDefinitions());
        var output = File.ReadAllBytes(TorchSharpFiles.OutputCopy);
        Console.WriteLine($"{libstdcxx}: {plan.Decision}: {plan.Message}");

        Assert.IsTrue(cache.VersionNeeds().Single(n => n.Name == "GLIBCXX_3.4.32").IsWeak is false, "the NuGet cache copy is unpatched");
        if (plan.Decision == PatchDecision.Patch)
            CollectionAssert.AreEqual(WeakVersionPatch.Apply(cache, plan), output, "the output copy is the patched one");
        else
            CollectionAssert.AreEqual(cache.Bytes.ToArray(), output, "the output copy is the package's own");
    }
}
