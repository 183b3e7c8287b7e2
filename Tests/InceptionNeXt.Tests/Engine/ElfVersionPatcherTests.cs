using InceptionNeXt.ElfVersionPatcher;

namespace InceptionNeXt.Tests.Engine;

/// <summary>
/// tools/ElfVersionPatcher on TorchSharp 0.107's real libLibTorchSharp.so: what it needs from libstdc++, the decision
/// for a Debian 12 libstdc++ (no GLIBCXX_3.4.32), a new enough one, and one missing a version that relocations use.
/// </summary>
[TestClass]
public sealed class ElfVersionPatcherTests
{
    private const string Marker = "_ZSt21ios_base_library_initv";

    private static ElfFile Package()
    {
        TorchSharpFiles.RequireLinuxPackage();
        return ElfFile.Read(TorchSharpFiles.CacheCopy);
    }

    private static HashSet<string> NeededLibStdCxx(ElfFile elf) =>
        elf.VersionNeeds().Where(n => n.File == LibStdCxxProbe.Soname).Select(n => n.Name).ToHashSet();

    [TestMethod]
    public void ThePackageNeedsGlibcxx3432OnlyThroughAnUnrelocatedMarker()
    {
        var elf = Package();
        var need = elf.VersionNeeds().Single(n => n.File == LibStdCxxProbe.Soname && n.Name == "GLIBCXX_3.4.32");
        Assert.IsFalse(need.IsWeak, "the package's own need is strong");
        var symbols = elf.DynamicSymbols();
        var ofVersion = Enumerable.Range(0, symbols.Count).Where(i => symbols[i].VersionIndex == need.Index).ToList();
        CollectionAssert.AreEqual(new[] { Marker }, ofVersion.Select(i => symbols[i].Name).ToList());
        Assert.IsFalse(elf.RelocatedSymbolIndices().Contains(ofVersion[0]), "no relocation refers to the marker");
        // Control: relocations are read at all (the library binds hundreds of libtorch symbols).
        Assert.IsTrue(elf.RelocatedSymbolIndices().Count > 100);
    }

    [TestMethod]
    public void OnADebian12LibStdCxxOnlyTheMarkerVersionIsMarkedWeak()
    {
        var elf = Package();
        var debian12 = NeededLibStdCxx(elf);
        debian12.Remove("GLIBCXX_3.4.32");
        var plan = WeakVersionPatch.Plan(elf, LibStdCxxProbe.Soname, debian12);
        Assert.AreEqual(PatchDecision.Patch, plan.Decision, plan.Message);
        CollectionAssert.AreEqual(new[] { "GLIBCXX_3.4.32" }, plan.Missing.Select(m => m.Name).ToList());

        var patched = WeakVersionPatch.Apply(elf, plan);
        var original = elf.Bytes.ToArray();
        Assert.HasCount(original.Length, patched);
        var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToList();
        CollectionAssert.AreEqual(new[] { plan.Missing[0].FlagsOffset }, changed, "one byte: the low byte of vna_flags");

        var reread = new ElfFile(patched);
        foreach (var (before, after) in elf.VersionNeeds().Zip(reread.VersionNeeds()))
        {
            Assert.AreEqual(before.Name, after.Name);
            Assert.AreEqual(before.Name == "GLIBCXX_3.4.32", after.IsWeak, before.Name);
        }
        Assert.AreEqual(PatchDecision.NotNeeded, WeakVersionPatch.Plan(reread, LibStdCxxProbe.Soname, debian12).Decision,
            "a patched copy needs no second patch");
    }

    [TestMethod]
    public void ANewEnoughLibStdCxxNeedsNoPatch()
    {
        var elf = Package();
        var plan = WeakVersionPatch.Plan(elf, LibStdCxxProbe.Soname, NeededLibStdCxx(elf));
        Assert.AreEqual(PatchDecision.NotNeeded, plan.Decision);
        Assert.IsEmpty(plan.Missing);
        Assert.ThrowsExactly<InvalidOperationException>(() => WeakVersionPatch.Apply(elf, plan));
    }

    [TestMethod]
    public void AMissingVersionThatRelocationsUseIsNotPatched()
    {
        var elf = Package();
        var older = NeededLibStdCxx(elf);
        older.Remove("GLIBCXX_3.4.32");
        older.Remove("GLIBCXX_3.4.30"); // std::condition_variable::wait, which the library calls
        var plan = WeakVersionPatch.Plan(elf, LibStdCxxProbe.Soname, older);
        Assert.AreEqual(PatchDecision.Unpatchable, plan.Decision);
        StringAssert.Contains(plan.Message, "GLIBCXX_3.4.30");
        StringAssert.Contains(plan.Message, "condition_variable");
    }

    [TestMethod]
    public void TheMachinesLibStdCxxIsFoundAndItsVersionsRead()
    {
        if (!OperatingSystem.IsLinux()) Assert.Inconclusive("Linux only");
        var path = LibStdCxxProbe.Find();
        Assert.IsNotNull(path, "the .NET runtime maps a libstdc++");
        StringAssert.Contains(Path.GetFileName(path), "libstdc++.so");
        var defined = ElfFile.Read(path).VersionDefinitions();
        CollectionAssert.Contains(defined.ToList(), "GLIBCXX_3.4");
        CollectionAssert.Contains(defined.ToList(), "CXXABI_1.3");
        Console.WriteLine($"{path}: newest {defined.Where(d => d.StartsWith("GLIBCXX_3.4.", StringComparison.Ordinal)).MaxBy(d => int.Parse(d["GLIBCXX_3.4.".Length..], System.Globalization.CultureInfo.InvariantCulture))}");
    }

    [TestMethod]
    public void NonElfInputIsRejected()
    {
        Assert.ThrowsExactly<InvalidDataException>(() => new ElfFile(new byte[100]));
        var elf32 = new byte[100];
        elf32[0] = 0x7f; elf32[1] = (byte)'E'; elf32[2] = (byte)'L'; elf32[3] = (byte)'F'; elf32[4] = 1; elf32[5] = 1;
        Assert.ThrowsExactly<InvalidDataException>(() => new ElfFile(elf32));
    }
}
