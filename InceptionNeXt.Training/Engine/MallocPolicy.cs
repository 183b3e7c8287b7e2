using System.Runtime.InteropServices;

namespace InceptionNeXt.Training.Engine;

/// <summary>glibc's <c>mallopt</c> thresholds for tensor buffers (see <see cref="TorchEngineOptions.TuneMalloc"/>).</summary>
internal static partial class MallocPolicy
{
    private const int MTrimThreshold = -1;
    private const int MMmapThreshold = -3;

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int MallOpt(int param, int value);

    /// <summary>Sets both thresholds; false where there is no glibc <c>mallopt</c> (not Linux, musl, or it refused).</summary>
    public static bool Apply(int thresholdBytes)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            // mallopt returns 1 on success; musl's stub returns 0.
            return MallOpt(MMmapThreshold, thresholdBytes) == 1 & MallOpt(MTrimThreshold, thresholdBytes) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
