namespace InceptionNeXt.Training.LibTorch;

/// <summary>An error raised inside libtorch (a C++ exception caught by the native shim), carrying its message.</summary>
public sealed class TorchException : Exception
{
    /// <summary>Creates the exception with libtorch's message.</summary>
    public TorchException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the exception that caused it.</summary>
    public TorchException(string message, Exception inner) : base(message, inner) { }
}
