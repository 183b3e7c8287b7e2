namespace InceptionNeXt.ML.Pipelines;

/// <summary>
/// The starting point of every pipeline, in ML.NET's shape: catalogs for loading data, transforms, multiclass
/// trainers and evaluation, and saving/loading models.
/// </summary>
/// <example>
/// <code>
/// var ctx = new InceptionNeXtContext(seed: 1);
/// var data = ctx.Data.LoadFromImageFolder("photos");
/// var split = ctx.Data.TrainTestSplit(data, testFraction: 0.2);
/// var pipeline = ctx.Transforms.Conversion.MapValueToKey("Label")
///     .Append(ctx.Transforms.LoadImages("Image", imageFolder: null, "ImagePath"))
///     .Append(ctx.Transforms.FeaturizeImages("backbone.onnx", "Features", "Image"))
///     .Append(ctx.MulticlassClassification.Trainers.LbfgsLogisticRegression("Label", "Features"))
///     .Append(ctx.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
/// using var model = pipeline.Fit(split.TrainSet);
/// var metrics = ctx.MulticlassClassification.Evaluate(model.Transform(split.TestSet));
/// ctx.Model.Save(model, data.Schema, "model.zip");
/// </code>
/// </example>
public sealed class InceptionNeXtContext
{
    /// <summary>Creates a context; <paramref name="seed"/> makes splits and trainers repeatable (null: a random seed).</summary>
    public InceptionNeXtContext(int? seed = null)
    {
        Seed = seed ?? Random.Shared.Next();
        Data = new DataOperationsCatalog(this);
        Transforms = new TransformsCatalog();
        MulticlassClassification = new MulticlassClassificationCatalog(this);
        Model = new ModelOperationsCatalog();
    }

    /// <summary>The seed used where a stage needs randomness and none was given.</summary>
    public int Seed { get; }

    /// <summary>Loading, splitting and converting data.</summary>
    public DataOperationsCatalog Data { get; }

    /// <summary>Image loading, preprocessing, featurizing and key conversions.</summary>
    public TransformsCatalog Transforms { get; }

    /// <summary>Head trainers and evaluation.</summary>
    public MulticlassClassificationCatalog MulticlassClassification { get; }

    /// <summary>Saving, loading and prediction engines.</summary>
    public ModelOperationsCatalog Model { get; }
}
