using InceptionNeXt.ML.Pipelines.Data;

namespace InceptionNeXt.ML.Pipelines;

/// <summary>
/// Runs a fitted pipeline on single objects or batches (ML.NET's PredictionEngine). Unlike ML.NET's, one engine is
/// safe to share between threads: it keeps no per-call state, and the stages it runs are thread-safe.
/// </summary>
public sealed class PredictionEngine<TSource, TPrediction> where TSource : class where TPrediction : class
{
    private readonly ITransformer model;
    private readonly Func<DataView, int, TPrediction> reader;

    internal PredictionEngine(ITransformer model, DataViewSchema? inputSchema, bool ignoreMissingColumns)
    {
        this.model = model;
        // Check both ends now, so a misnamed property fails here rather than on the first prediction.
        var sourceSchema = RowMapper<TSource>.ToDataView([]).Schema;
        OutputSchema = model.GetOutputSchema(MergeVectorSizes(sourceSchema, inputSchema));
        reader = RowMapper<TPrediction>.CreateReader(OutputSchema, ignoreMissingColumns);
    }

    /// <summary>The schema the pipeline produces.</summary>
    public DataViewSchema OutputSchema { get; }

    /// <summary>Predicts one item.</summary>
    public TPrediction Predict(TSource example) => PredictBatch([example])[0];

    /// <summary>Predicts many items in one pass (the featurizer batches them).</summary>
    public TPrediction[] PredictBatch(IReadOnlyList<TSource> examples)
    {
        if (examples.Count == 0) return [];
        var output = model.Transform(RowMapper<TSource>.ToDataView(examples));
        if (output.RowCount != examples.Count)
            throw new InvalidOperationException("The pipeline dropped rows; prediction pipelines must use UnreadableImagePolicy.Throw.");
        var results = new TPrediction[examples.Count];
        for (var i = 0; i < results.Length; i++) results[i] = reader(output, i);
        return results;
    }

    private static DataViewSchema MergeVectorSizes(DataViewSchema source, DataViewSchema? saved)
    {
        // An empty batch cannot tell a float[] property's length; the saved input schema can.
        if (saved is null) return source;
        return new DataViewSchema(source.Columns.Select(c =>
            c.Type.Kind == ColumnKind.Vector && c.Type.VectorSize == 0 && saved.Find(c.Name) is { } s && s.Type.Kind == ColumnKind.Vector ? s : c));
    }
}
