namespace InceptionNeXt.ML.OnnxRuntime;

/// <summary>How much ONNX Runtime rewrites the graph when a session is created (values mirror <c>GraphOptimizationLevel</c>).</summary>
public enum GraphOptimizationLevel
{
    /// <summary>No graph optimizations.</summary>
    Disabled = 0,

    /// <summary>Semantics-preserving rewrites such as constant folding and redundant-node removal.</summary>
    Basic = 1,

    /// <summary>Basic plus node fusions.</summary>
    Extended = 2,

    /// <summary>All optimizations, including layout changes (ONNX Runtime's default).</summary>
    All = 99,
}
