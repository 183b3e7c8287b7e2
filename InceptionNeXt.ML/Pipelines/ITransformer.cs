using InceptionNeXt.ML.Pipelines.Data;

namespace InceptionNeXt.ML.Pipelines;

/// <summary>A fitted pipeline stage: adds or replaces columns of a view (ML.NET's ITransformer).</summary>
public interface ITransformer
{
    /// <summary>The schema <see cref="Transform"/> would produce; throws <see cref="SchemaMismatchException"/> when the input does not fit.</summary>
    DataViewSchema GetOutputSchema(DataViewSchema inputSchema);

    /// <summary>Applies the stage; the input view is not changed.</summary>
    DataView Transform(DataView input);
}

/// <summary>An unfitted pipeline stage: learns from data and returns a transformer (ML.NET's IEstimator).</summary>
public interface IEstimator<out TTransformer> where TTransformer : ITransformer
{
    /// <summary>Checks the input schema (before any data is read), then learns from <paramref name="input"/>.</summary>
    TTransformer Fit(DataView input);

    /// <summary>The schema the fitted transformer will produce; throws <see cref="SchemaMismatchException"/> when the input does not fit.</summary>
    DataViewSchema GetOutputSchema(DataViewSchema inputSchema);
}

/// <summary>An estimator that can use a held-out view while fitting (early stopping).</summary>
public interface ISupportsValidation<out TTransformer> : IEstimator<TTransformer> where TTransformer : ITransformer
{
    /// <summary>Fits on <paramref name="input"/>, watching <paramref name="validation"/>.</summary>
    TTransformer Fit(DataView input, DataView? validation);
}
