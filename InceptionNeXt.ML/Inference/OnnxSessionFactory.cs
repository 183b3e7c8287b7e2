using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace InceptionNeXt.ML.Inference;

/// <summary>
/// Creates ONNX Runtime sessions the way every part of this library needs them: errors that name the model, the
/// CUDA provider with ML.NET's <c>gpuDeviceId</c> / <c>fallbackToCpu</c> meaning, and an environment that logs only
/// warnings and sends no telemetry.
/// </summary>
internal static partial class OnnxSessionFactory
{
    private const string TelemetryVariable = "ORT_DISABLE_TELEMETRY";

    private static readonly Lazy<OrtEnv> Environment = new(CreateEnvironment, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The process-wide ONNX Runtime environment, created on first use (quiet, telemetry off).</summary>
    public static OrtEnv Runtime => Environment.Value;

    private static OrtEnv CreateEnvironment()
    {
        DisableNativeTelemetry();
        OrtEnv env;
        try
        {
            var options = new EnvironmentCreationOptions { logId = "InceptionNeXt", logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING };
            env = OrtEnv.CreateInstanceWithOptions(ref options);
        }
        catch (OnnxRuntimeException)
        {
            // The application created the environment first, with its own options: use it as it is.
            env = OrtEnv.Instance();
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException)
        {
            throw new DllNotFoundException(
                "ONNX Runtime's native library could not be loaded. It comes from the NuGet package Microsoft.ML.OnnxRuntime 1.31.1 " +
                "(CPU; or Microsoft.ML.OnnxRuntime.Gpu.Linux/.Windows 1.31.0 for CUDA): make sure the application references it and " +
                $"that its runtimes/<rid>/native folder was copied next to the application. ({e.Message})", e);
        }

        // A library must not phone home on its users' behalf: this stops Windows' ETW events (elsewhere the variable below does it).
        env.DisableTelemetryEvents();
        return env;
    }

    /// <summary>
    /// ONNX Runtime 1.31's Linux and macOS builds collect telemetry (a device id and an event database under
    /// ~/.cache/Microsoft/DeveloperTools/.onnxruntime, uploads, /tmp/mat-debug-PID.log) unless ORT_DISABLE_TELEMETRY=1 is in the
    /// native environment when the library initialises; DisableTelemetryEvents only drops some events. So it is set here, before the
    /// first session, unless the application set the variable itself (ORT_DISABLE_TELEMETRY=0 opts back in).
    /// </summary>
    private static void DisableNativeTelemetry()
    {
        if (OperatingSystem.IsWindows() || System.Environment.GetEnvironmentVariable(TelemetryVariable) is not null) return;
        // .NET's SetEnvironmentVariable changes only its own copy on Unix; the native library reads libc's environment.
        if (setenv(TelemetryVariable, "1", 0) != 0) return;
        System.Environment.SetEnvironmentVariable(TelemetryVariable, "1");
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    /// <summary>
    /// Opens <paramref name="modelPath"/> (or <paramref name="modelBytes"/>, named <paramref name="modelPath"/> in errors)
    /// with <paramref name="options"/>; returns the session and the execution provider it runs on ("CPU" or "CUDA").
    /// </summary>
    /// <exception cref="FileNotFoundException">The model file does not exist.</exception>
    /// <exception cref="InvalidDataException">ONNX Runtime cannot load the model.</exception>
    /// <exception cref="InvalidOperationException">CUDA was asked for, could not be used, and <see cref="InferenceOptions.FallbackToCpu"/> is off.</exception>
    public static (InferenceSession Session, string Provider) Create(string modelPath, byte[]? modelBytes, InferenceOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (modelBytes is null && !File.Exists(modelPath))
            throw new FileNotFoundException($"{modelPath}: model file not found.", modelPath);
        _ = Runtime;
        if (options.GpuDeviceId is { } device)
        {
            Exception failure;
            try
            {
                using var gpuOptions = options.CreateSessionOptions(device);
                return (Open(modelPath, modelBytes, gpuOptions, gpu: true), "CUDA");
            }
            // The CPU package's library has no CUDA entry point at all; a GPU package without CUDA, cuDNN or the device
            // fails when the provider is appended or the session created.
            catch (EntryPointNotFoundException e)
            {
                failure = e;
            }
            catch (OnnxRuntimeException e) when (IsProviderFailure(e))
            {
                failure = e;
            }

            if (!options.FallbackToCpu)
                throw new InvalidOperationException(
                    $"{modelPath}: GPU {device} was requested but ONNX Runtime's CUDA execution provider cannot run here: " +
                    (failure is EntryPointNotFoundException
                        ? "the loaded ONNX Runtime is the CPU-only build. Reference Microsoft.ML.OnnxRuntime.Gpu.Linux (or .Windows) 1.31.0 in place of Microsoft.ML.OnnxRuntime (README: Running on a GPU)"
                        : $"{FirstLine(failure.Message)}. The GPU build needs CUDA 13 and cuDNN 9 installed and a visible device {device} (ONNX Runtime's log above names the missing library)") +
                    "; or set FallbackToCpu (CLI: --fallback-to-cpu) to run on the CPU.", failure);
        }

        using var cpuOptions = options.CreateSessionOptions(null);
        return (Open(modelPath, modelBytes, cpuOptions, gpu: false), "CPU");
    }

    private static InferenceSession Open(string modelPath, byte[]? modelBytes, SessionOptions options, bool gpu)
    {
        try
        {
            return modelBytes is null ? new InferenceSession(modelPath, options) : new InferenceSession(modelBytes, options);
        }
        catch (OnnxRuntimeException e) when (!gpu || !IsProviderFailure(e))
        {
            var source = modelBytes is null ? modelPath : $"{modelPath} ({modelBytes.Length:N0} bytes in memory)";
            throw new InvalidDataException($"{source}: ONNX Runtime cannot load this model: {FirstLine(e.Message)}", e);
        }
    }

    // Provider failures come from AppendExecutionProvider_CUDA (a CPU-only build) or from session creation when the
    // CUDA libraries or a device are missing; model errors never mention CUDA.
    private static bool IsProviderFailure(OnnxRuntimeException e) =>
        e.Message.Contains("CUDA", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("cudnn", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("provider", StringComparison.OrdinalIgnoreCase);

    private static string FirstLine(string message)
    {
        var line = message.Split('\n', 2)[0].Trim();
        return line.Length > 400 ? line[..400] + "..." : line;
    }
}
