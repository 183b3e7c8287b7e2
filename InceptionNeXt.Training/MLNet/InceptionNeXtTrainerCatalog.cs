using InceptionNeXt.ML.MLNet;
using InceptionNeXt.Training.MLNet;

// In ML.NET's namespace, as its own trainer catalogs are: `using Microsoft.ML;` puts it on mlContext.MulticlassClassification.Trainers.
namespace Microsoft.ML;

/// <summary>InceptionNeXt / ConvNeXt training with TorchSharp as an ML.NET multiclass trainer.</summary>
public static class InceptionNeXtTrainerCatalog
{
    /// <summary>
    /// Trains or fine-tunes an InceptionNeXt / ConvNeXt classifier on an image column and a key label column, and fits
    /// to a transformer that adds <c>Score</c> and <c>PredictedLabel</c> (ONNX Runtime; it saves into model.zip and loads
    /// without libtorch).
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="options">Columns, architecture, weights, schedule, validation, callbacks and the fitted transformer's settings.</param>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range or names an unknown architecture.</exception>
    /// <exception cref="FileNotFoundException">No file at <see cref="InceptionNeXtTrainerOptions.PretrainedWeights"/>.</exception>
    /// <example>
    /// <code>
    /// var data = mlContext.Data.LoadFromImageFolder("flowers");
    /// var pipeline = mlContext.Transforms.Conversion.MapValueToKey("Label")
    ///     .Append(mlContext.MulticlassClassification.Trainers.InceptionNeXt(new InceptionNeXtTrainerOptions
    ///     {
    ///         PretrainedWeights = "inceptionnext_atto.pth", Epochs = 5, EarlyStoppingPatience = 2,
    ///     }));
    /// var model = pipeline.Fit(data);
    /// mlContext.Model.Save(model, data.Schema, "model.zip");
    /// </code>
    /// </example>
    public static InceptionNeXtTrainer InceptionNeXt(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, InceptionNeXtTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new InceptionNeXtTrainer(TrainerSupport.GetEnvironment(catalog), options);
    }

    /// <summary>Trains an InceptionNeXt / ConvNeXt classifier with the defaults of <see cref="InceptionNeXtTrainerOptions"/> otherwise.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">The key label column.</param>
    /// <param name="imageColumnName">The image column: paths, encoded bytes or MLImage.</param>
    /// <param name="architecture">A name from <c>inceptionnext models</c>.</param>
    /// <param name="pretrainedWeights">Weights to start from, or null to train from scratch.</param>
    /// <param name="epochs">Epochs.</param>
    public static InceptionNeXtTrainer InceptionNeXt(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string imageColumnName = "ImagePath", string architecture = "inceptionnext_atto",
        string? pretrainedWeights = null, int epochs = 10) =>
        InceptionNeXt(catalog, new InceptionNeXtTrainerOptions
        {
            LabelColumnName = labelColumnName, ImageColumnName = imageColumnName, Architecture = architecture,
            PretrainedWeights = pretrainedWeights, Epochs = epochs,
        });
}
