using InceptionNeXt.TorchSharpKeepAlive;
using Mono.Cecil;

// Usage: TorchSharpKeepAlive <TorchSharp.dll> <output copy>
// Writes the patched copy (only if its bytes change). Exit 0 on success; 2 on bad use, I/O or a malformed assembly.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: TorchSharpKeepAlive <TorchSharp.dll> <output.dll>");
    return 2;
}
var (input, output) = (Path.GetFullPath(args[0]), Path.GetFullPath(args[1]));
try
{
    var resolver = new DefaultAssemblyResolver();
    resolver.AddSearchDirectory(Path.GetDirectoryName(input)!);
    // TorchSharp's framework references (System.Runtime and friends) resolve to this tool's runtime; only value-type
    // checks use them.
    resolver.AddSearchDirectory(Path.GetDirectoryName(typeof(object).Assembly.Location)!);
    using var module = ModuleDefinition.ReadModule(input, new ReaderParameters { AssemblyResolver = resolver, ReadSymbols = false });
    if (KeepAlivePatch.IsPatched(module))
    {
        Console.Error.WriteLine($"TorchSharpKeepAlive: {input} is already patched; give the package's TorchSharp.dll");
        return 2;
    }
    var changed = KeepAlivePatch.Apply(module);
    // No strong-name signature: .NET (Core) does not check it, and the public key, so the assembly's identity, stays.
    module.Attributes &= ~ModuleAttributes.StrongNameSigned;
    using var buffer = new MemoryStream();
    module.Write(buffer);
    var bytes = buffer.ToArray();
    if (!File.Exists(output) || !File.ReadAllBytes(output).AsSpan().SequenceEqual(bytes))
    {
        Directory.CreateDirectory(Path.GetDirectoryName(output)!);
        var temp = $"{output}.{Environment.ProcessId}.tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, output, overwrite: true);
    }
    Console.WriteLine($"TorchSharpKeepAlive: {Path.GetFileName(input)}: {changed} methods keep their arguments alive across native calls, in {output}");
    return 0;
}
catch (Exception e) when (e is IOException or UnauthorizedAccessException or BadImageFormatException or InvalidOperationException)
{
    Console.Error.WriteLine($"TorchSharpKeepAlive: {input}: {e.Message}");
    return 2;
}
