namespace InceptionNeXt.ML.OnnxRuntime;

/// <summary>Whether independent graph nodes run one after another or concurrently (values mirror <c>ExecutionMode</c>).</summary>
public enum ExecutionMode
{
    /// <summary>Run nodes sequentially (parallelism only inside operators).</summary>
    Sequential = 0,

    /// <summary>Run independent branches concurrently on the inter-op thread pool.</summary>
    Parallel = 1,
}
