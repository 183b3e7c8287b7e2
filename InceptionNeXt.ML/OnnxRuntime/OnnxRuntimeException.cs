namespace InceptionNeXt.ML.OnnxRuntime;

/// <summary>An error reported by ONNX Runtime (a non-null <c>OrtStatus</c>), carrying its code and message.</summary>
public sealed class OnnxRuntimeException : Exception
{
    /// <summary>Creates an exception with ONNX Runtime's error code and a message.</summary>
    public OnnxRuntimeException(OrtErrorCode errorCode, string message)
        : base(message)
    {
        ErrorCode = errorCode;
        RuntimeMessage = message;
    }

    /// <summary>Creates an exception that adds context to an inner ONNX Runtime error.</summary>
    public OnnxRuntimeException(OrtErrorCode errorCode, string message, string runtimeMessage, Exception? innerException)
        : base(message, innerException)
    {
        ErrorCode = errorCode;
        RuntimeMessage = runtimeMessage;
    }

    /// <summary>ONNX Runtime's error code.</summary>
    public OrtErrorCode ErrorCode { get; }

    /// <summary>The message exactly as ONNX Runtime reported it (without added context).</summary>
    public string RuntimeMessage { get; }
}
