namespace InceptionNeXt.ElfVersionPatcher;

/// <summary>Finds the libstdc++ that a .NET process on this machine loads.</summary>
public static class LibStdCxxProbe
{
    /// <summary>The soname TorchSharp's library needs.</summary>
    public const string Soname = "libstdc++.so.6";

    private static readonly string[] Candidates =
    [
        "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    ];

    /// <summary>
    /// The path of the libstdc++ this very process mapped (the .NET runtime links it, so it is the one the loader picks
    /// with this environment, LD_LIBRARY_PATH included), else the first of the usual locations that exists, else null.
    /// </summary>
    public static string? Find()
    {
        const string maps = "/proc/self/maps";
        if (File.Exists(maps))
        {
            foreach (var line in File.ReadLines(maps))
            {
                var slash = line.IndexOf('/', StringComparison.Ordinal);
                if (slash < 0) continue;
                var path = line[slash..];
                if (Path.GetFileName(path).StartsWith("libstdc++.so", StringComparison.Ordinal) && File.Exists(path)) return path;
            }
        }
        return Candidates.FirstOrDefault(File.Exists);
    }
}
