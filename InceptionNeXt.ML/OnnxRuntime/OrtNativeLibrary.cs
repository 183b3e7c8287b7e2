using System.Runtime.InteropServices;

namespace InceptionNeXt.ML.OnnxRuntime;

/// <summary>
/// Finds and loads the ONNX Runtime native library. Everything else is reached through the
/// <c>OrtApi</c> function table, so the only symbol looked up by name is <c>OrtGetApiBase</c>;
/// no assembly-wide DllImport resolver is registered (an assembly may have only one).
/// </summary>
/// <remarks>
/// Search order: the file named by <see cref="PathVariable"/>; the library next to the assembly
/// (and next to the application); the set-up cache <c>.cache/onnxruntime/1.30.0/</c> found by
/// walking up from <see cref="AppContext.BaseDirectory"/>; <c>~/.cache/inceptionnext/onnxruntime/1.30.0/</c>;
/// then the operating system's default search.
/// </remarks>
internal static class OrtNativeLibrary
{
    /// <summary>Environment variable naming the native library file to load.</summary>
    internal const string PathVariable = "INCEPTIONNEXT_ONNXRUNTIME_PATH";

    /// <summary>The ONNX Runtime release this binding targets.</summary>
    internal const string TargetVersion = "1.30.0";

    private static readonly object s_gate = new();
    private static nint s_handle;
    private static string? s_path;

    /// <summary>The platform's file name for the library.</summary>
    internal static string FileName =>
        OperatingSystem.IsWindows() ? "onnxruntime.dll"
        : OperatingSystem.IsMacOS() ? "libonnxruntime.dylib"
        : "libonnxruntime.so.1";

    /// <summary>Loads the library once per process and returns its handle and the path it was loaded from.</summary>
    internal static (nint Handle, string Path) Load()
    {
        lock (s_gate)
        {
            if (s_handle == 0)
            {
                (s_handle, s_path) = Load(Environment.GetEnvironmentVariable(PathVariable), DefaultCandidates(), includeDefaultSearch: true);
            }

            return (s_handle, s_path!);
        }
    }

    /// <summary>The file candidates tried after the environment variable, in order.</summary>
    internal static List<string> DefaultCandidates()
    {
        var candidates = new List<string>();
        string? assemblyDir = Path.GetDirectoryName(typeof(OrtNativeLibrary).Assembly.Location);
        if (!string.IsNullOrEmpty(assemblyDir))
        {
            candidates.Add(Path.Combine(assemblyDir, FileName));
        }

        candidates.Add(Path.Combine(AppContext.BaseDirectory, FileName));
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, ".cache", "onnxruntime", TargetVersion, FileName));
        }

        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (!string.IsNullOrEmpty(home))
        {
            candidates.Add(Path.Combine(home, ".cache", "inceptionnext", "onnxruntime", TargetVersion, FileName));
        }

        return candidates.Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// Loads from <paramref name="overridePath"/> when given (failing loudly if it cannot be loaded),
    /// else from the first loadable candidate, else (optionally) from the default search.
    /// </summary>
    /// <exception cref="DllNotFoundException">Nothing could be loaded; the message lists what was tried and how to fix it.</exception>
    internal static (nint Handle, string Path) Load(string? overridePath, IReadOnlyList<string> candidates, bool includeDefaultSearch)
    {
        if (!string.IsNullOrWhiteSpace(overridePath))
        {
            string full = Path.GetFullPath(overridePath);
            if (!File.Exists(full))
            {
                throw new DllNotFoundException(
                    $"{PathVariable} is set to '{overridePath}', but no file exists there. " +
                    $"Point it at the ONNX Runtime {TargetVersion} native library ({FileName}), or unset it and run scripts/setup.sh " +
                    $"to fetch the CPU build into .cache/onnxruntime/{TargetVersion}/.");
            }

            try
            {
                return (NativeLibrary.Load(full), full);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                throw new DllNotFoundException(
                    $"{PathVariable} points to '{full}', but it could not be loaded as the ONNX Runtime native library: {e.Message}", e);
            }
        }

        var tried = new List<string>();
        foreach (string candidate in candidates)
        {
            if (!File.Exists(candidate))
            {
                tried.Add($"{candidate} (not found)");
                continue;
            }

            try
            {
                return (NativeLibrary.Load(candidate), candidate);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                tried.Add($"{candidate} (exists but failed to load: {e.Message})");
            }
        }

        if (includeDefaultSearch)
        {
            foreach (string name in new[] { FileName, "onnxruntime" })
            {
                if (NativeLibrary.TryLoad(name, typeof(OrtNativeLibrary).Assembly, DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory, out nint handle))
                {
                    return (handle, name);
                }

                tried.Add($"{name} (default library search)");
            }
        }

        throw new DllNotFoundException(
            $"Could not load the ONNX Runtime {TargetVersion} native library ({FileName}). Tried:\n  " +
            string.Join("\n  ", tried) +
            $"\nFix: run scripts/setup.sh (it extracts {FileName} from npm onnxruntime-node@{TargetVersion} into .cache/onnxruntime/{TargetVersion}/), " +
            $"or set {PathVariable} to the full path of {FileName}.");
    }

    /// <summary>Resolves an export of the loaded library.</summary>
    internal static nint GetExport(nint handle, string name) => NativeLibrary.GetExport(handle, name);
}
