using InceptionNeXt.ML.Pipelines.Data;

namespace InceptionNeXt.ML.Pipelines.Transforms;

/// <summary>An estimator with nothing to learn: Fit checks the schema and returns its transformer.</summary>
public sealed class TrivialEstimator<TTransformer> : IEstimator<TTransformer> where TTransformer : class, ITransformer
{
    private readonly TTransformer transformer;

    internal TrivialEstimator(TTransformer transformer) => this.transformer = transformer;

    /// <inheritdoc />
    public TTransformer Fit(DataView input)
    {
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => transformer.GetOutputSchema(inputSchema);
}
