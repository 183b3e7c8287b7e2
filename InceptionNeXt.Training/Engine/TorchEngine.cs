using TorchSharp;

namespace InceptionNeXt.Training.Engine;

/// <summary>
/// Start-up of the TorchSharp engine: applies <see cref="TorchEngineOptions"/> (malloc policy, threads) once per
/// process and loads libtorch, turning a failed native load into a <see cref="TorchLoadException"/> that says what to
/// do. The zoo's models call <see cref="EnsureInitialized"/>; call <see cref="Initialize"/> first to change the options.
/// </summary>
public static class TorchEngine
{
    private static readonly Lock Gate = new();
    private static TorchEngineOptions? s_options;

    /// <summary>The options in force, or null before start-up.</summary>
    public static TorchEngineOptions? Options => s_options;

    /// <summary>Whether the glibc malloc policy was applied.</summary>
    public static bool MallocTuned { get; private set; }

    /// <summary>oneDNN's instruction-set cap in force (<see cref="TorchEngineOptions.OneDnnMaxCpuIsa"/>), or null for oneDNN's own choice.</summary>
    public static string? OneDnnMaxCpuIsa { get; private set; }

    private static bool s_isaApplied;

    /// <summary>
    /// Starts the engine with <paramref name="options"/> (defaults when null). A second call with other options changes
    /// the thread count and channels-last choice; the malloc policy, applied once, stays.
    /// </summary>
    /// <exception cref="TorchLoadException">libtorch or TorchSharp's native library did not load.</exception>
    public static TorchEngineOptions Initialize(TorchEngineOptions? options = null)
    {
        lock (Gate)
        {
            options ??= s_options ?? new TorchEngineOptions();
            if (options.TuneMalloc && !MallocTuned) MallocTuned = MallocPolicy.Apply(options.MallocThresholdBytes);
            if (!s_isaApplied)
            {
                // The module initializer set the default cap; an option of the caller's replaces it. oneDNN reads the cap
                // once, when it builds its first kernel.
                OneDnnMaxCpuIsa = OneDnnIsa.Apply(options.OneDnnMaxCpuIsa);
                s_isaApplied = true;
            }
            Load();
            if (options.Threads is { } threads)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1, nameof(options));
                torch.set_num_threads(threads);
            }
            s_options = options;
            return options;
        }
    }

    /// <summary>Starts the engine with default options unless it already runs; returns the options in force.</summary>
    public static TorchEngineOptions EnsureInitialized() => s_options ?? Initialize();

    /// <summary>
    /// Ends a training step: collects the .NET GC's youngest generation. TorchSharp turns every double passed to an op
    /// (a learning rate, a beta, an alpha) into a native <c>torch::Scalar</c> that only a finalizer frees. Left to the GC
    /// they pile up between the step's large activation buffers on the heap that the malloc policy never trims, and that
    /// fragmentation grew peak RSS of inceptionnext_atto training (batch 16, 224 px) to 1.43-1.50 GB against the old
    /// binding's 1.04 GB; with this call once per step it stays at 1.09 GB, at the same speed (BENCHMARKS.md). A gen0
    /// collection of a training loop's few short-lived objects takes well under a millisecond.
    /// </summary>
    public static void EndStep() => GC.Collect(0, GCCollectionMode.Forced, blocking: true);

    private static void Load()
    {
        try
        {
            // The first call into torch loads libLibTorchSharp and libtorch.
            _ = torch.get_num_threads();
        }
        catch (Exception e) when (e is TypeInitializationException or DllNotFoundException or NotSupportedException or BadImageFormatException)
        {
            throw new TorchLoadException(LoadFailureMessage(e), e);
        }
    }

    /// <summary>The message of the <see cref="TorchLoadException"/> for a failed native load.</summary>
    internal static string LoadFailureMessage(Exception e)
    {
        var detail = e.InnerException?.Message ?? e.Message;
        var advice = OperatingSystem.IsLinux()
            ? "TorchSharp 0.107's libLibTorchSharp.so needs libstdc++ with GLIBCXX_3.4.32 (GCC 13). A build of a project " +
              "that references InceptionNeXt.Training writes a patched copy into its output where the machine's libstdc++ " +
              "is older (tools/ElfVersionPatcher): rebuild on the machine that runs it, and check that " +
              "runtimes/linux-x64/native/ next to the application holds libLibTorchSharp.so and the libtorch-cpu-linux-x64 " +
              "libraries (libtorch_cpu.so, libc10.so). Otherwise install a newer libstdc++ (GCC 13 or later; Ubuntu 24.04 " +
              "and Debian 13 have it) or put one on LD_LIBRARY_PATH."
            : "Check that the libtorch package for this platform (libtorch-cpu-win-x64 or libtorch-cpu-osx-arm64, or a CUDA " +
              "backend) is referenced and copied next to the application.";
        return $"TorchSharp could not load libtorch: {FirstLine(detail)} {advice}";
    }

    private static string FirstLine(string text)
    {
        var end = text.IndexOf('\n', StringComparison.Ordinal);
        return (end < 0 ? text : text[..end]).Trim();
    }
}
