using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.Pipelines.Data;
using InceptionNeXt.ML.Pipelines.Persistence;

namespace InceptionNeXt.ML.Pipelines;

/// <summary>Saving and loading fitted pipelines, and prediction engines.</summary>
public sealed class ModelOperationsCatalog
{
    internal ModelOperationsCatalog() { }

    /// <summary>
    /// Writes the whole fitted pipeline, ONNX backbone included, to one zip (atomically: a crash never leaves half a
    /// file). <paramref name="inputSchema"/> (the training data's schema) is stored so a loaded model can be checked.
    /// </summary>
    public void Save(ITransformer model, DataViewSchema? inputSchema, string path) => ModelArchive.Save(model, inputSchema, path);

    /// <summary>Reads a pipeline written by <see cref="Save"/>; <paramref name="options"/> choose the device (CPU by default).</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a pipeline zip, damaged, or from a newer version.</exception>
    public TransformerChain<ITransformer> Load(string path, out DataViewSchema? inputSchema, InferenceOptions? options = null) =>
        ModelArchive.Load(path, out inputSchema, options);

    /// <summary>A prediction engine from <typeparamref name="TSource"/> objects to <typeparamref name="TPrediction"/> objects; thread-safe.</summary>
    public PredictionEngine<TSource, TPrediction> CreatePredictionEngine<TSource, TPrediction>(ITransformer model, DataViewSchema? inputSchema = null, bool ignoreMissingColumns = true)
        where TSource : class where TPrediction : class => new(model, inputSchema, ignoreMissingColumns);
}
