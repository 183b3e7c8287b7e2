using Microsoft.ML;

namespace InceptionNeXt.ML.MLNet;

/// <summary>
/// Shared part of the InceptionNeXt estimators. There is nothing to learn (the model is already trained), so, as ML.NET's
/// <c>OnnxScoringEstimator</c>, the transformer is made with the estimator and <see cref="Fit"/> checks the data's schema
/// and returns it.
/// </summary>
/// <typeparam name="TTransformer">The transformer fitted.</typeparam>
public abstract class InceptionNeXtImageEstimatorBase<TTransformer> : IEstimator<TTransformer>
    where TTransformer : InceptionNeXtImageTransformerBase
{
    private readonly TTransformer transformer;

    private protected InceptionNeXtImageEstimatorBase(TTransformer transformer) => this.transformer = transformer;

    /// <summary>Checks that <paramref name="input"/> has the image column and returns the transformer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The image column is missing (the message lists the columns there are) or holds no image (the message says how to load one).
    /// </exception>
    public TTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    /// <summary>The input's columns with the transformer's added or replaced.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The image column is missing or holds no image.</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        ImageColumn.Check(inputSchema, transformer.InputColumnName);
        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (var output in transformer.Outputs) columns[output.Name] = output.Shape;
        return new SchemaShape(columns.Values);
    }
}
