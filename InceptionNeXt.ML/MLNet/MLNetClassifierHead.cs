using System.Collections.Immutable;
using InceptionNeXt.ML.OnnxFormat;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms;

namespace InceptionNeXt.ML.MLNet;

/// <summary>
/// Reads the head an ML.NET pipeline learned on InceptionNeXt features as a <see cref="ClassifierHead"/>, so that
/// <c>OnnxHeadGrafting</c> can append it to the backbone: one ONNX file that classifies on its own.
/// </summary>
public static class MLNetClassifierHead
{
    /// <summary>
    /// The head of a fitted pipeline of the form <c>... -> FeaturizeImagesWithInceptionNeXt -> [NormalizeMeanVariance or
    /// another affine normalizer of the features] -> a linear multiclass trainer (LbfgsMaximumEntropy, SdcaMaximumEntropy,
    /// SdcaNonCalibrated) -> ...</c>, with the labels in score order.
    /// </summary>
    /// <param name="model">The fitted pipeline.</param>
    /// <param name="inputSchema">The schema the pipeline was fitted on (for the labels: the Score column's slot names).</param>
    /// <exception cref="NotSupportedException">The pipeline has no linear multiclass trainer, or a normalizer that is not affine.</exception>
    public static (ClassifierHead Head, IReadOnlyList<string> Labels) Extract(ITransformer model, DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputSchema);
        var stages = Flatten(model).ToList();
        var trainerIndex = stages.FindLastIndex(t => AsLinear(t) is not null);
        if (trainerIndex < 0)
            throw new NotSupportedException("The pipeline has no linear multiclass trainer (LbfgsMaximumEntropy, SdcaMaximumEntropy, SdcaNonCalibrated) to export.");
        var linear = AsLinear(stages[trainerIndex])!;

        VBuffer<float>[] rows = [];
        linear.GetWeights(ref rows, out var classes);
        var featureSize = rows[0].Length;
        var weights = new float[classes * featureSize];
        for (var c = 0; c < classes; c++)
        {
            var target = weights.AsSpan(c * featureSize, featureSize);
            if (rows[c].IsDense) rows[c].GetValues().CopyTo(target);
            else
            {
                // Sparse after L1: the array is zeroed, only the stored weights are written.
                var indices = rows[c].GetIndices();
                var values = rows[c].GetValues();
                for (var i = 0; i < indices.Length; i++) target[indices[i]] = values[i];
            }
        }
        var bias = linear.GetBiases().ToArray();

        // ML.NET's affine normalizers compute (x - offset) * scale, as the head's standardisation does.
        var mean = new float[featureSize];
        var scale = Enumerable.Repeat(1f, featureSize).ToArray();
        if (stages.Take(trainerIndex).OfType<NormalizingTransformer>().LastOrDefault() is { } normalizer)
        {
            if (normalizer.GetNormalizerModelParameters(0) is not NormalizingTransformer.AffineNormalizerModelParameters<ImmutableArray<float>> affine)
                throw new NotSupportedException("Only an affine normalizer of the features (NormalizeMeanVariance, NormalizeMinMax) can be exported with the head.");
            if (affine.Scale.Length != featureSize)
                throw new NotSupportedException($"The normalizer works on {affine.Scale.Length} values but the trainer takes {featureSize} features.");
            affine.Scale.CopyTo(scale);
            if (!affine.Offset.IsDefaultOrEmpty) affine.Offset.CopyTo(mean);
        }

        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        var score = model.GetOutputSchema(inputSchema)["Score"];
        score.GetSlotNames(ref slotNames);
        var labels = slotNames.DenseValues().Select(l => l.ToString()).ToArray();
        if (labels.Length != classes) throw new NotSupportedException($"The Score column names {labels.Length} labels for {classes} classes.");
        return (new ClassifierHead(mean, scale, [new DenseLayer(featureSize, classes, weights, bias)]), labels);
    }

    private static LinearMulticlassModelParametersBase? AsLinear(ITransformer stage) => stage switch
    {
        MulticlassPredictionTransformer<MaximumEntropyModelParameters> m => m.Model,
        MulticlassPredictionTransformer<LinearMulticlassModelParameters> l => l.Model,
        _ => null,
    };

    private static IEnumerable<ITransformer> Flatten(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Flatten) : [model];
}
