namespace InceptionNeXt.ML.OnnxRuntime;

/// <summary>ONNX Runtime's status codes (<c>OrtErrorCode</c>); newer runtimes may report values beyond the named ones.</summary>
public enum OrtErrorCode
{
    /// <summary>Success.</summary>
    Ok = 0,

    /// <summary>Generic failure.</summary>
    Fail = 1,

    /// <summary>An argument was invalid.</summary>
    InvalidArgument = 2,

    /// <summary>A file was not found.</summary>
    NoSuchFile = 3,

    /// <summary>No model was loaded.</summary>
    NoModel = 4,

    /// <summary>An execution engine error.</summary>
    EngineError = 5,

    /// <summary>A runtime exception inside ONNX Runtime.</summary>
    RuntimeException = 6,

    /// <summary>The model is not a valid ONNX protobuf.</summary>
    InvalidProtobuf = 7,

    /// <summary>A model was already loaded.</summary>
    ModelLoaded = 8,

    /// <summary>The operation is not implemented (or not available in this build).</summary>
    NotImplemented = 9,

    /// <summary>The model graph is invalid.</summary>
    InvalidGraph = 10,

    /// <summary>An execution provider failed.</summary>
    EpFail = 11,
}
