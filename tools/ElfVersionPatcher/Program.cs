using InceptionNeXt.ElfVersionPatcher;

// Usage: ElfVersionPatcher <libLibTorchSharp.so> <output copy> [--libstdcxx <path>]
// Writes the output copy only when the machine's libstdc++ needs the patch (and only if its bytes change); deletes a
// stale one otherwise, so the build copies the package's own file. Exit 0 whatever it decides; 2 on bad use or I/O.
if (args.Length is not (2 or 4) || (args.Length == 4 && args[2] != "--libstdcxx"))
{
    Console.Error.WriteLine("usage: ElfVersionPatcher <input.so> <output.so> [--libstdcxx <path>]");
    return 2;
}
var (input, output) = (args[0], args[1]);
try
{
    void RemoveStale()
    {
        if (File.Exists(output)) File.Delete(output);
    }

    if (!OperatingSystem.IsLinux() && args.Length == 2)
    {
        RemoveStale();
        Console.WriteLine("ElfVersionPatcher: not Linux, nothing to do");
        return 0;
    }
    var libstdcxx = args.Length == 4 ? args[3] : LibStdCxxProbe.Find();
    if (libstdcxx is null)
    {
        RemoveStale();
        Console.WriteLine($"ElfVersionPatcher: no {LibStdCxxProbe.Soname} found, nothing to do");
        return 0;
    }
    var target = ElfFile.Read(input);
    var plan = WeakVersionPatch.Plan(target, LibStdCxxProbe.Soname, ElfFile.Read(libstdcxx).VersionDefinitions());
    if (plan.Decision != PatchDecision.Patch)
    {
        RemoveStale();
        Console.WriteLine($"ElfVersionPatcher: {Path.GetFileName(input)}: {libstdcxx}: {plan.Message}; {(plan.Decision == PatchDecision.NotNeeded ? "no patch" : "NOT patched, it will not load")}");
        return 0;
    }
    var patched = WeakVersionPatch.Apply(target, plan);
    if (!File.Exists(output) || !File.ReadAllBytes(output).AsSpan().SequenceEqual(patched))
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        var temp = output + ".tmp";
        File.WriteAllBytes(temp, patched);
        File.Move(temp, output, overwrite: true);
    }
    Console.WriteLine($"ElfVersionPatcher: {Path.GetFileName(input)}: {libstdcxx}: {plan.Message} in {output}");
    return 0;
}
catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"ElfVersionPatcher: {e.Message}");
    return 2;
}
