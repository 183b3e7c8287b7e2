using System.Numerics.Tensors;
using InceptionNeXt.ML.Imaging;
using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.Pipelines.Data;
using InceptionNeXt.ML.Pipelines.Persistence;
using InceptionNeXt.ML.Pipelines.Trainers;

namespace InceptionNeXt.ML.Pipelines.Transforms;

/// <summary>
/// A whole exported classifier (a fine-tuned model, or one with a grafted head) as a pipeline stage: reads an image
/// column and writes <c>Score</c> (softmax over the model's labels) and <c>PredictedLabel</c> (a key over them),
/// the same columns a head trainer writes, so MapKeyToValue and Evaluate work unchanged. The ONNX model is stored
/// in the saved pipeline. Thread-safe; dispose to release the session.
/// </summary>
public sealed class ImageClassifierTransformer : ITransformer, ISavableTransformer, IDisposable
{
    internal const string Name = "ImageClassifier";
    private readonly byte[] model;
    private readonly OnnxImageClassifier classifier;

    internal ImageClassifierTransformer(byte[] model, string modelName, string inputColumnName, InferenceOptions? options)
    {
        this.model = model;
        ModelName = modelName;
        InputColumnName = inputColumnName;
        classifier = new OnnxImageClassifier(model, modelName, options);
    }

    /// <summary>The image column read.</summary>
    public string InputColumnName { get; }

    /// <summary>The model's file name or given name.</summary>
    public string ModelName { get; }

    /// <summary>The model's labels, by class index.</summary>
    public IReadOnlyList<string> Labels => classifier.Labels;

    string ISavableTransformer.StageName => Name;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        inputSchema.Require("ClassifyImages", "input", InputColumnName, "Use Transforms.LoadImages(...) to make an image column.", ColumnKind.Image);
        return inputSchema
            .With(new SchemaColumn(MulticlassPredictionTransformer.ScoreColumnName, ColumnType.Vector(Labels.Count)))
            .With(new SchemaColumn(MulticlassPredictionTransformer.PredictedLabelColumnName, ColumnType.Key(Labels)));
    }

    /// <inheritdoc />
    public DataView Transform(DataView input)
    {
        GetOutputSchema(input.Schema);
        var images = input.GetColumn<ImageInput>(InputColumnName);
        var scores = new float[input.RowCount][];
        var predicted = new uint[input.RowCount];
        var row = 0;
        foreach (var (image, logits, error) in classifier.LogitsMany(Enumerable.Range(0, images.Count).Select(i => images[i])))
        {
            if (error is not null) throw error as InvalidImageException ?? new InvalidImageException(image.Name, error.Message, error);
            var p = logits!;
            TensorPrimitives.SoftMax(p, p);
            scores[row] = p;
            predicted[row] = (uint)TensorPrimitives.IndexOfMax(p) + 1;
            row++;
        }
        return input
            .WithColumn(new DataColumn<float[]>(MulticlassPredictionTransformer.ScoreColumnName, ColumnType.Vector(Labels.Count), scores))
            .WithColumn(new DataColumn<uint>(MulticlassPredictionTransformer.PredictedLabelColumnName, ColumnType.Key(Labels), predicted));
    }

    void ISavableTransformer.Save(ModelSaveContext context)
    {
        context.WriteBytes("model.onnx", model);
        context.WriteJson("settings.json", new Settings(InputColumnName, ModelName));
    }

    internal static ITransformer Load(ModelLoadContext context)
    {
        var s = context.ReadJson<Settings>("settings.json");
        return new ImageClassifierTransformer(context.ReadBytes("model.onnx"), s.ModelName, s.Input, context.InferenceOptions);
    }

    /// <summary>Releases the ONNX Runtime session.</summary>
    public void Dispose() => classifier.Dispose();

    private sealed record Settings(string Input, string ModelName);
}
