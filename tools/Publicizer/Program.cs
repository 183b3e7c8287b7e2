using Mono.Cecil;

// Usage: Publicizer <input.dll> <output.dll> [<input.dll> <output.dll> ...]
// Each output is the input with every type, nested type, method and field made public; nothing else changes, nothing is
// removed. The copies are compile-time references only: the application still loads and runs the untouched originals.
if (args.Length == 0 || args.Length % 2 != 0)
{
    Console.Error.WriteLine("usage: Publicizer <input.dll> <output.dll> [<input.dll> <output.dll> ...]");
    return 2;
}

for (var i = 0; i < args.Length; i += 2)
{
    var (input, output) = (args[i], args[i + 1]);
    try
    {
        Publicize(input, output);
        Console.WriteLine($"Publicizer: {input} -> {output}");
    }
    catch (Exception e) when (e is IOException or BadImageFormatException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"Publicizer: error: cannot publicize {input}: {e.Message}");
        return 1;
    }
}
return 0;

static void Publicize(string input, string output)
{
    using var resolver = new DefaultAssemblyResolver();
    resolver.AddSearchDirectory(Path.GetDirectoryName(Path.GetFullPath(input))!);
    using var assembly = AssemblyDefinition.ReadAssembly(input, new ReaderParameters { AssemblyResolver = resolver, InMemory = true });
    foreach (var module in assembly.Modules)
        foreach (var type in module.Types) MakePublic(type);

    // Write next to the target and move into place, so an interrupted build never leaves a half-written reference behind.
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
    var temporary = output + ".tmp";
    assembly.Write(temporary);
    File.Move(temporary, output, overwrite: true);
}

static void MakePublic(TypeDefinition type)
{
    if (type.IsNested) type.IsNestedPublic = true;
    else type.IsPublic = true;
    foreach (var method in type.Methods) method.IsPublic = true;

    // A field-like event's backing field has the event's own name; both public would make every use of the event
    // ambiguous (CS0229), so those fields keep their access.
    var eventNames = type.Events.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
    foreach (var field in type.Fields)
        if (!eventNames.Contains(field.Name)) field.IsPublic = true;

    foreach (var nested in type.NestedTypes) MakePublic(nested);
}
