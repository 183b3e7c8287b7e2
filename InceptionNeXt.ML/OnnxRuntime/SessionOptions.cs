using System.Text;

namespace InceptionNeXt.ML.OnnxRuntime;

/// <summary>
/// Settings for creating an <see cref="InferenceSession"/> (<c>OrtSessionOptions</c>). Each setter applies the
/// value to the native options at once. The options are copied into a session when it is created, so one
/// instance can configure many sessions and may be disposed as soon as they exist.
/// </summary>
public sealed unsafe class SessionOptions : IDisposable
{
    /// <summary>ONNX Runtime's name for the CUDA execution provider.</summary>
    public const string CudaExecutionProvider = "CUDAExecutionProvider";

    private readonly OrtApi _api;
    private readonly OrtSessionOptionsHandle _handle;
    private readonly List<string> _providers = [];
    private readonly HashSet<string> _configKeys = new(StringComparer.Ordinal);
    private int _intraOpThreads;
    private int _interOpThreads;
    private GraphOptimizationLevel _optimizationLevel = GraphOptimizationLevel.All;
    private ExecutionMode _executionMode = ExecutionMode.Sequential;
    private bool _cpuMemArena = true;

    /// <summary>Creates options with ONNX Runtime's defaults (all optimizations, sequential, default thread counts).</summary>
    public SessionOptions()
    {
        _ = OrtEnvironment.Instance;
        _api = OrtApi.Instance;
        nint options;
        _api.Check(_api.CreateSessionOptions(&options), "Creating session options failed");
        _handle = new OrtSessionOptionsHandle(options);
    }

    /// <summary>Threads used inside one operator; 0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads
    {
        get => _intraOpThreads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Apply(h => _api.SetIntraOpNumThreads(h, value), "Setting the intra-op thread count");
            _intraOpThreads = value;
        }
    }

    /// <summary>
    /// Sets a session configuration entry (keys from ONNX Runtime's onnxruntime_session_options_config_keys.h,
    /// e.g. <c>session.intra_op.allow_spinning</c>). Each key may be set once.
    /// </summary>
    public void AddConfigEntry(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        if (!_configKeys.Add(key)) throw new ArgumentException($"Session config entry '{key}' is already set.", nameof(key));
        var k = System.Text.Encoding.UTF8.GetBytes(key + "\0");
        var v = System.Text.Encoding.UTF8.GetBytes(value + "\0");
        Apply(h =>
        {
            fixed (byte* kp = k)
            fixed (byte* vp = v)
                return _api.AddSessionConfigEntry(h, kp, vp);
        }, $"Setting session config '{key}'");
    }

    /// <summary>
    /// Whether idle intra-op threads spin (lowest latency, ONNX Runtime's default) or sleep, leaving the cores to other
    /// work such as image decoding running beside inference.
    /// </summary>
    public void SetAllowSpinning(bool allow) => AddConfigEntry("session.intra_op.allow_spinning", allow ? "1" : "0");

    /// <summary>Threads used to run independent nodes in <see cref="ExecutionMode.Parallel"/>; 0 lets ONNX Runtime choose.</summary>
    public int InterOpThreads
    {
        get => _interOpThreads;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            Apply(h => _api.SetInterOpNumThreads(h, value), "Setting the inter-op thread count");
            _interOpThreads = value;
        }
    }

    /// <summary>Graph optimizations applied when the session is created (default <see cref="GraphOptimizationLevel.All"/>).</summary>
    public GraphOptimizationLevel GraphOptimizationLevel
    {
        get => _optimizationLevel;
        set
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown graph optimization level.");
            }

            Apply(h => _api.SetSessionGraphOptimizationLevel(h, (int)value), "Setting the graph optimization level");
            _optimizationLevel = value;
        }
    }

    /// <summary>Sequential or parallel node execution (default <see cref="ExecutionMode.Sequential"/>).</summary>
    public ExecutionMode ExecutionMode
    {
        get => _executionMode;
        set
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown execution mode.");
            }

            Apply(h => _api.SetSessionExecutionMode(h, (int)value), "Setting the execution mode");
            _executionMode = value;
        }
    }

    /// <summary>Whether the CPU memory arena is used (default true); disabling it lowers peak memory at some speed cost.</summary>
    public bool EnableCpuMemArena
    {
        get => _cpuMemArena;
        set
        {
            Apply(h => value ? _api.EnableCpuMemArena(h) : _api.DisableCpuMemArena(h), "Setting the CPU memory arena");
            _cpuMemArena = value;
        }
    }

    /// <summary>Execution providers appended so far, in preference order (the CPU provider is always the implicit fallback).</summary>
    public IReadOnlyList<string> ExecutionProviders => _providers.AsReadOnly();

    /// <summary>The native handle.</summary>
    internal OrtSessionOptionsHandle Handle
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle;
        }
    }

    /// <summary>
    /// Prefers the CUDA execution provider on <paramref name="deviceId"/> (nodes it cannot run fall back to the CPU).
    /// </summary>
    /// <exception cref="OnnxRuntimeException">
    /// This ONNX Runtime build has no CUDA provider (CPU-only), or its CUDA provider could not be loaded
    /// (provider libraries, CUDA or cuDNN missing). The message says to point INCEPTIONNEXT_ONNXRUNTIME_PATH at a
    /// CUDA build of libonnxruntime 1.30.
    /// </exception>
    public void AppendCudaProvider(int deviceId = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceId);
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        OrtEnvironment env = OrtEnvironment.Instance;
        string fix =
            $"To run on a GPU, point {OrtNativeLibrary.PathVariable} at a CUDA build of libonnxruntime {OrtNativeLibrary.TargetVersion} " +
            "(e.g. the onnxruntime-linux-x64-gpu release) with its libonnxruntime_providers_shared.so and libonnxruntime_providers_cuda.so " +
            "alongside, and make sure the CUDA and cuDNN runtime libraries it needs are installed.";
        if (!env.AvailableProviders.Contains(CudaExecutionProvider))
        {
            throw new OnnxRuntimeException(
                OrtErrorCode.NotImplemented,
                $"The CUDA execution provider is not available: the ONNX Runtime {env.RuntimeVersion} build loaded from '{env.NativeLibraryPath}' " +
                $"is CPU-only (its providers: {string.Join(", ", env.AvailableProviders)}). {fix}");
        }

        nint cudaOptions = 0;
        bool added = false;
        _handle.DangerousAddRef(ref added);
        try
        {
            Try(_api.CreateCUDAProviderOptions(&cudaOptions));
            byte[] key = Encoding.UTF8.GetBytes("device_id\0");
            byte[] value = Encoding.UTF8.GetBytes(deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\0");
            fixed (byte* k = key)
            fixed (byte* v = value)
            {
                byte* keys = k;
                byte* values = v;
                Try(_api.UpdateCUDAProviderOptions(cudaOptions, &keys, &values, 1));
            }

            Try(_api.SessionOptionsAppendExecutionProvider_CUDA_V2(_handle.DangerousGetHandle(), cudaOptions));
            _providers.Add(CudaExecutionProvider);
        }
        finally
        {
            if (cudaOptions != 0)
            {
                _api.ReleaseCUDAProviderOptions(cudaOptions);
            }

            if (added)
            {
                _handle.DangerousRelease();
            }
        }

        void Try(nint status)
        {
            if (status != 0)
            {
                OnnxRuntimeException e = _api.ToException(status, null);
                throw new OnnxRuntimeException(
                    e.ErrorCode,
                    $"The CUDA execution provider could not be enabled for device {deviceId}: the ONNX Runtime {env.RuntimeVersion} build loaded from " +
                    $"'{env.NativeLibraryPath}' lists CUDA, but its CUDA provider failed to load or initialize " +
                    $"(ONNX Runtime said: {e.RuntimeMessage.Trim()}). {fix}",
                    e.RuntimeMessage,
                    e);
            }
        }
    }

    /// <summary>Releases the native options; safe to call more than once.</summary>
    public void Dispose() => _handle.Dispose();

    private void Apply(Func<nint, nint> call, string what)
    {
        bool added = false;
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        _handle.DangerousAddRef(ref added);
        try
        {
            _api.Check(call(_handle.DangerousGetHandle()), what + " failed");
        }
        finally
        {
            if (added)
            {
                _handle.DangerousRelease();
            }
        }
    }
}
