using System.Numerics.Tensors;

namespace InceptionNeXt.ML.Trainers;

/// <summary>Softmax cross-entropy of one sample's logits, shared by the head trainers.</summary>
internal static class SoftmaxCrossEntropy
{
    /// <summary>
    /// Replaces <paramref name="logits"/> by the gradient of the loss with respect to them, softmax(z) - target, where
    /// the target is the one-hot label smoothed by <paramref name="smoothing"/> (target = (1 - s) onehot + s / K).
    /// Returns the loss -sum(target * log softmax(z)); <paramref name="correct"/> says whether the arg-max is the label.
    /// </summary>
    public static double LossAndGradient(Span<float> logits, int label, float smoothing, out bool correct)
    {
        var k = logits.Length;
        var argMax = TensorPrimitives.IndexOfMax(logits);
        correct = argMax == label;
        var max = logits[argMax];
        // Smoothing needs the mean logit; it is taken before the logits are overwritten.
        var meanLogit = smoothing > 0 ? TensorPrimitives.Sum(logits) / (double)k : 0;
        var labelLogit = logits[label];
        TensorPrimitives.Subtract(logits, max, logits);
        TensorPrimitives.Exp(logits, logits);
        double sum = TensorPrimitives.Sum(logits);
        var logZ = max + Math.Log(sum);
        TensorPrimitives.Multiply(logits, (float)(1.0 / sum), logits);
        var offValue = smoothing / k;
        if (smoothing > 0) TensorPrimitives.Subtract(logits, offValue, logits);
        logits[label] -= 1 - smoothing;
        return logZ - ((1 - smoothing) * labelLogit + smoothing * meanLogit);
    }

    /// <summary>Plain cross-entropy -log softmax(z)[label] without changing the logits.</summary>
    public static double Loss(ReadOnlySpan<float> logits, int label, out bool correct)
    {
        var argMax = TensorPrimitives.IndexOfMax(logits);
        correct = argMax == label;
        var max = logits[argMax];
        double sum = 0;
        for (var i = 0; i < logits.Length; i++) sum += Math.Exp(logits[i] - max);
        return max + Math.Log(sum) - logits[label];
    }
}
