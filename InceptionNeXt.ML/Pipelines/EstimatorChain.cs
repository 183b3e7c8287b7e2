using InceptionNeXt.ML.Pipelines.Data;

namespace InceptionNeXt.ML.Pipelines;

/// <summary>Estimators run in order; <see cref="Fit(DataView)"/> fits each on the output of the ones before it.</summary>
public sealed class EstimatorChain<TLast> : IEstimator<TransformerChain<TLast>> where TLast : class, ITransformer
{
    private readonly IReadOnlyList<IEstimator<ITransformer>> estimators;

    internal EstimatorChain(IReadOnlyList<IEstimator<ITransformer>> estimators) => this.estimators = estimators;

    /// <summary>The stages, in order.</summary>
    public IReadOnlyList<IEstimator<ITransformer>> Estimators => estimators;

    /// <summary>Adds a stage at the end.</summary>
    public EstimatorChain<TNext> Append<TNext>(IEstimator<TNext> next) where TNext : class, ITransformer => new([.. estimators, next]);

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        var schema = inputSchema;
        foreach (var e in estimators) schema = e.GetOutputSchema(schema);
        return schema;
    }

    /// <inheritdoc />
    public TransformerChain<TLast> Fit(DataView input) => Fit(input, null);

    /// <summary>
    /// Fits every stage; <paramref name="validation"/> (same columns as <paramref name="input"/>) goes through the fitted
    /// stages too and reaches the trainers that stop early on it. The whole chain's schema is checked first, so a
    /// misnamed column fails before any image is decoded.
    /// </summary>
    public TransformerChain<TLast> Fit(DataView input, DataView? validation)
    {
        GetOutputSchema(input.Schema);
        var fitted = new List<ITransformer>();
        try
        {
            var data = input;
            for (var i = 0; i < estimators.Count; i++)
            {
                var transformer = estimators[i] is ISupportsValidation<ITransformer> v ? v.Fit(data, validation) : estimators[i].Fit(data);
                fitted.Add(transformer);
                if (i < estimators.Count - 1)
                {
                    data = transformer.Transform(data);
                    if (validation is not null && NeedsValidation(i + 1)) validation = transformer.Transform(validation);
                }
            }
            return new TransformerChain<TLast>(fitted);
        }
        catch
        {
            foreach (var t in fitted) (t as IDisposable)?.Dispose();
            throw;
        }
    }

    private bool NeedsValidation(int from) => estimators.Skip(from).Any(e => e is ISupportsValidation<ITransformer>);
}

/// <summary>Fitted stages run in order; disposing it releases the stages that hold native resources.</summary>
public sealed class TransformerChain<TLast> : ITransformer, IStageList, IDisposable where TLast : class, ITransformer
{
    /// <summary>Chains fitted stages (for example some stages of a fitted chain, to leave out the label mapping at prediction time).</summary>
    public TransformerChain(IReadOnlyList<ITransformer> transformers)
    {
        if (transformers.Count == 0) throw new ArgumentException("A chain needs at least one stage.", nameof(transformers));
        if (transformers[^1] is not TLast) throw new ArgumentException($"The last stage is {transformers[^1].GetType().Name}, not {typeof(TLast).Name}.", nameof(transformers));
        Transformers = transformers;
    }

    /// <summary>The stages, in order.</summary>
    public IReadOnlyList<ITransformer> Transformers { get; }

    /// <summary>The last stage (typically the trained predictor).</summary>
    public TLast LastTransformer => (TLast)Transformers[^1];

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        var schema = inputSchema;
        foreach (var t in Transformers) schema = t.GetOutputSchema(schema);
        return schema;
    }

    /// <inheritdoc />
    public DataView Transform(DataView input)
    {
        var data = input;
        foreach (var t in Transformers) data = t.Transform(data);
        return data;
    }

    /// <summary>Releases every stage that holds native resources.</summary>
    public void Dispose()
    {
        foreach (var t in Transformers) (t as IDisposable)?.Dispose();
    }
}

/// <summary>The stages of a chain whatever its last stage's type (a class generic is not covariant).</summary>
internal interface IStageList
{
    IReadOnlyList<ITransformer> Transformers { get; }
}

/// <summary><c>Append</c> for single estimators, as in ML.NET.</summary>
public static class EstimatorExtensions
{
    /// <summary>Starts a chain: <paramref name="first"/> then <paramref name="next"/>.</summary>
    public static EstimatorChain<TNext> Append<TNext>(this IEstimator<ITransformer> first, IEstimator<TNext> next) where TNext : class, ITransformer =>
        new([first, next]);
}
