using System.Runtime.InteropServices;

namespace InceptionNeXt.ML.OnnxRuntime;

/// <summary>
/// The process-wide ONNX Runtime environment (<c>OrtEnv</c>, logging at warning level), created on first use
/// and kept for the life of the process, as ONNX Runtime expects one environment per process.
/// </summary>
public sealed unsafe class OrtEnvironment
{
    private static readonly object s_gate = new();
    private static OrtEnvironment? s_instance;

    private readonly Lazy<IReadOnlyList<string>> _providers;

    private OrtEnvironment(OrtApi api)
    {
        nint env;
        fixed (byte* logId = "InceptionNeXt\0"u8)
        {
            api.Check(api.CreateEnv(2 /* ORT_LOGGING_LEVEL_WARNING */, logId, &env), "Creating the ONNX Runtime environment failed");
        }

        Handle = new OrtEnvHandle(env);

        nint memoryInfo;
        api.Check(api.CreateCpuMemoryInfo(1 /* OrtArenaAllocator */, 0 /* OrtMemTypeDefault */, &memoryInfo), "Creating the CPU memory info failed");
        CpuMemoryInfo = new OrtMemoryInfoHandle(memoryInfo);

        ApiVersion = (int)api.Version;
        RuntimeVersion = api.RuntimeVersion;
        NativeLibraryPath = api.LibraryPath;
        _providers = new Lazy<IReadOnlyList<string>>(() => QueryProviders(api));
    }

    /// <summary>The environment, created (and the native library loaded) on first access; thread-safe.</summary>
    /// <exception cref="DllNotFoundException">The native library could not be found; the message says what was tried and how to fix it.</exception>
    public static OrtEnvironment Instance
    {
        get
        {
            OrtEnvironment? env = Volatile.Read(ref s_instance);
            if (env is not null)
            {
                return env;
            }

            lock (s_gate)
            {
                s_instance ??= new OrtEnvironment(OrtApi.Instance);
                return s_instance;
            }
        }
    }

    /// <summary>The ONNX Runtime version string reported by the library, e.g. "1.30.0".</summary>
    public string RuntimeVersion { get; }

    /// <summary>The C API version in use (30 for ONNX Runtime 1.30; lower only when the library is older).</summary>
    public int ApiVersion { get; }

    /// <summary>Where the native library was loaded from.</summary>
    public string NativeLibraryPath { get; }

    /// <summary>
    /// Execution providers compiled into this build, e.g. "CPUExecutionProvider". A provider listed here can still
    /// fail to load when its shared library or its runtime (e.g. CUDA) is missing.
    /// </summary>
    public IReadOnlyList<string> AvailableProviders => _providers.Value;

    /// <summary>The environment's native handle.</summary>
    internal OrtEnvHandle Handle { get; }

    /// <summary>Describes ordinary CPU memory for tensors over caller buffers.</summary>
    internal OrtMemoryInfoHandle CpuMemoryInfo { get; }

    private static IReadOnlyList<string> QueryProviders(OrtApi api)
    {
        byte** names;
        int count;
        api.Check(api.GetAvailableProviders(&names, &count), "Listing the execution providers failed");
        try
        {
            var result = new string[count];
            for (int i = 0; i < count; i++)
            {
                result[i] = Marshal.PtrToStringUTF8((nint)names[i]) ?? string.Empty;
            }

            return Array.AsReadOnly(result);
        }
        finally
        {
            api.Check(api.ReleaseAvailableProviders(names, count));
        }
    }
}
