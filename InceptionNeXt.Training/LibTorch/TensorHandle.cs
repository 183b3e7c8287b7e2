using Microsoft.Win32.SafeHandles;

namespace InceptionNeXt.Training.LibTorch;

/// <summary>Owns one native at::Tensor reference; releasing it drops that reference (not necessarily the storage).</summary>
internal sealed class TensorHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    /// <summary>Creates an empty handle (used by the P/Invoke marshaller).</summary>
    public TensorHandle() : base(ownsHandle: true) { }

    /// <summary>Takes ownership of a raw handle returned through an out parameter.</summary>
    internal TensorHandle(IntPtr raw) : base(ownsHandle: true) => SetHandle(raw);

    protected override bool ReleaseHandle()
    {
        TorchNative.ixt_tensor_free(handle);
        return true;
    }
}
