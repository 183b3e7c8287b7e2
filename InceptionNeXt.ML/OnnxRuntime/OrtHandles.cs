using System.Buffers;
using System.Runtime.InteropServices;

namespace InceptionNeXt.ML.OnnxRuntime;

/// <summary>Base of the safe handles that own ONNX Runtime objects; zero is invalid.</summary>
internal abstract class OrtHandle : SafeHandle
{
    protected OrtHandle(nint value)
        : base(0, ownsHandle: true)
    {
        SetHandle(value);
    }

    /// <inheritdoc/>
    public override bool IsInvalid => handle == 0;
}

/// <summary>Owns an <c>OrtEnv</c>.</summary>
internal sealed class OrtEnvHandle(nint value) : OrtHandle(value)
{
    protected override unsafe bool ReleaseHandle()
    {
        OrtApi.Instance.ReleaseEnv(handle);
        return true;
    }
}

/// <summary>Owns an <c>OrtMemoryInfo</c>.</summary>
internal sealed class OrtMemoryInfoHandle(nint value) : OrtHandle(value)
{
    protected override unsafe bool ReleaseHandle()
    {
        OrtApi.Instance.ReleaseMemoryInfo(handle);
        return true;
    }
}

/// <summary>Owns an <c>OrtSessionOptions</c>.</summary>
internal sealed class OrtSessionOptionsHandle(nint value) : OrtHandle(value)
{
    protected override unsafe bool ReleaseHandle()
    {
        OrtApi.Instance.ReleaseSessionOptions(handle);
        return true;
    }
}

/// <summary>
/// Owns an <c>OrtSession</c> and the UTF-8 input/output names ORT allocated for it. The names live exactly as
/// long as the session, so a <c>Run</c> that holds a reference on this handle can pass them to ORT safely
/// even while another thread disposes the session.
/// </summary>
internal sealed class OrtSessionHandle(nint value) : OrtHandle(value)
{
    /// <summary>Null-terminated UTF-8 input names (allocated by ORT's default allocator), in model order.</summary>
    internal nint[] InputNames { get; set; } = [];

    /// <summary>Null-terminated UTF-8 output names (allocated by ORT's default allocator), in model order.</summary>
    internal nint[] OutputNames { get; set; } = [];

    protected override unsafe bool ReleaseHandle()
    {
        OrtApi api = OrtApi.Instance;
        api.ReleaseSession(handle);
        foreach (nint name in InputNames.Concat(OutputNames))
        {
            if (name != 0)
            {
                _ = api.AllocatorFree(api.DefaultAllocator, (void*)name);
            }
        }

        return true;
    }
}

/// <summary>
/// Owns an <c>OrtValue</c> and, for a tensor over caller memory, the pin that keeps that memory in place:
/// the value is released first, then the memory is unpinned (also when only the finalizer runs).
/// </summary>
internal sealed class OrtValueHandle(nint value, MemoryHandle pin) : OrtHandle(value)
{
    private MemoryHandle _pin = pin;

    protected override unsafe bool ReleaseHandle()
    {
        OrtApi.Instance.ReleaseValue(handle);
        _pin.Dispose();
        return true;
    }
}
