using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace InceptionNeXt.Training.Engine;

/// <summary>
/// The instruction-set cap for oneDNN, libtorch's CPU convolution library (see
/// <see cref="TorchEngineOptions.OneDnnMaxCpuIsa"/>), passed the way oneDNN reads it: the process environment variable
/// <c>ONEDNN_MAX_CPU_ISA</c>, read once when it builds its first kernel.
/// </summary>
internal static partial class OneDnnIsa
{
    /// <summary>The environment variable oneDNN reads.</summary>
    public const string Variable = "ONEDNN_MAX_CPU_ISA";

    /// <summary>
    /// The default cap: <c>AVX2</c> on AMD processors with AVX-512, null (oneDNN's own choice) elsewhere. On an AMD EPYC
    /// with AVX-512, libtorch 2.10's oneDNN 3.7.1 AVX-512 convolution kernels returned wrong values: a channels-last 1x1
    /// convolution from 160 to 40 channels had output channels 32-39 off by up to 2 (brgconv_1x1:avx512_core), and the
    /// gradient reaching iFormer's stem was 20% off in either memory format; every result was exact with the AVX2 kernels
    /// (TorchFloat32AccuracyTests, BENCHMARKS.md).
    /// </summary>
    public static string? DefaultCap() => IsAmd() && Avx512F.IsSupported ? "AVX2" : null;

    // The value this class put in the environment (so a later call may change its own choice, never the user's).
    private static string? s_ours;
    private static readonly Lock Gate = new();

    /// <summary>
    /// Sets <see cref="Variable"/> to <paramref name="cap"/> (null removes a cap this class set) unless the environment
    /// names one that this class did not set (the user's choice wins); returns the cap in force (null: oneDNN's choice).
    /// oneDNN only reads it before it builds its first kernel.
    /// </summary>
    public static string? Apply(string? cap)
    {
        lock (Gate)
        {
            var existing = Environment.GetEnvironmentVariable(Variable);
            if (!string.IsNullOrEmpty(existing) && existing != s_ours) return existing;
            if (string.IsNullOrEmpty(cap)) cap = null;
            if (cap == existing) return cap;
            // .NET keeps its own copy of the environment on Unix; oneDNN calls getenv, so the C library's must change too.
            Environment.SetEnvironmentVariable(Variable, cap);
            if (!OperatingSystem.IsWindows() && (cap is null ? UnsetEnv(Variable) : SetEnv(Variable, cap, 1)) != 0)
                throw new InvalidOperationException($"setenv({Variable}) failed; set {Variable}={cap} in the environment instead.");
            s_ours = cap;
            return cap;
        }
    }

#pragma warning disable CA2255 // A library's module initializer is the point: it must run before the process's first convolution.
    // Applies the default cap as soon as this assembly runs, before any model of it is built: oneDNN reads the cap once,
    // when it builds its first kernel, so waiting for TorchEngine.Initialize missed it whenever a convolution ran first.
    [ModuleInitializer]
    internal static void ApplyDefault() => Apply(DefaultCap());
#pragma warning restore CA2255

    [LibraryImport("libc", EntryPoint = "unsetenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int UnsetEnv(string name);

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    private static bool IsAmd()
    {
        if (!X86Base.IsSupported) return false;
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<int> vendor = [ebx, edx, ecx];
        return MemoryMarshal.AsBytes(vendor).SequenceEqual("AuthenticAMD"u8);
    }
}
