namespace InceptionNeXt.ML.Trainers;

/// <summary>
/// Per-feature standardisation shared by the head trainers: mean and 1/std from the training set, stored in the
/// <see cref="ClassifierHead"/> so that inference applies the same transform.
/// </summary>
internal static class FeatureStandardization
{
    /// <summary>Smallest standard deviation divided by, so constant features do not blow up.</summary>
    public const double StdFloor = 1e-6;

    /// <summary>Mean and scale (1 / max(std, <see cref="StdFloor"/>), population std) of every feature.</summary>
    public static (float[] Mean, float[] Scale) Fit(HeadTrainingSet set)
    {
        int n = set.Count, d = set.FeatureSize;
        var data = set.FeatureArray.AsSpan();
        // Two passes in double: the one-pass formula loses the variance of features with a large mean.
        var sum = new double[d];
        for (var i = 0; i < n; i++)
        {
            var row = data.Slice(i * d, d);
            for (var j = 0; j < d; j++) sum[j] += row[j];
        }
        var mean = new double[d];
        for (var j = 0; j < d; j++) mean[j] = sum[j] / n;
        var squares = new double[d];
        for (var i = 0; i < n; i++)
        {
            var row = data.Slice(i * d, d);
            for (var j = 0; j < d; j++)
            {
                var delta = row[j] - mean[j];
                squares[j] += delta * delta;
            }
        }
        var meanOut = new float[d];
        var scale = new float[d];
        for (var j = 0; j < d; j++)
        {
            meanOut[j] = (float)mean[j];
            scale[j] = (float)(1.0 / Math.Max(Math.Sqrt(squares[j] / n), StdFloor));
        }
        return (meanOut, scale);
    }

    /// <summary>The set's features as (x - mean) * scale, row-major [Count, FeatureSize], the way <see cref="ClassifierHead.Logits"/> computes them.</summary>
    public static float[] Apply(HeadTrainingSet set, float[] mean, float[] scale)
    {
        int n = set.Count, d = set.FeatureSize;
        var result = new float[n * d];
        var data = set.FeatureArray.AsSpan();
        for (var i = 0; i < n; i++)
        {
            var row = result.AsSpan(i * d, d);
            System.Numerics.Tensors.TensorPrimitives.Subtract(data.Slice(i * d, d), mean, row);
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, scale, row);
        }
        return result;
    }
}
