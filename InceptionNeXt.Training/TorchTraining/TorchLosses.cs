using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchTraining;

/// <summary>The two classification losses of the timm recipe, on TorchSharp tensors.</summary>
public static class TorchLosses
{
    /// <summary>
    /// Mean cross-entropy against hard labels with label smoothing: <c>(1 - s) * nll + s * mean(-log p)</c>, which is
    /// both timm's <c>LabelSmoothingCrossEntropy</c> and torch's <c>cross_entropy(label_smoothing=s)</c>.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor labels, double labelSmoothing = 0) =>
        nn.functional.cross_entropy(logits, labels, label_smoothing: labelSmoothing);

    /// <summary>Mean cross-entropy against soft targets (rows of class probabilities, e.g. from mixup): timm's <c>SoftTargetCrossEntropy</c>.</summary>
    public static Tensor SoftTargetCrossEntropy(Tensor logits, Tensor targets)
    {
        using var logp = nn.functional.log_softmax(logits, -1);
        using var product = targets * logp;
        using var perSample = product.sum(-1);
        using var mean = perSample.mean();
        return mean.neg();
    }
}
