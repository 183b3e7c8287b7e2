using InceptionNeXt.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchTraining;

/// <summary>
/// <see cref="Mixup"/> (timm's <c>Mixup</c>, <c>mode='batch'</c>) applied to TorchSharp tensors. The draws (lambda,
/// CutMix or mixup, the box) are <see cref="Mixup"/>'s own, so a pipeline seeded from (seed, epoch) repeats exactly and
/// mixes the same way on either engine.
/// </summary>
public static class TorchMixup
{
    /// <summary>Mixes an NCHW float batch and its int64 labels; the batch size must be even (as timm asserts).</summary>
    /// <exception cref="ArgumentException">The shapes do not fit.</exception>
    public static TorchMixupBatch Apply(this Mixup mixup, Tensor images, Tensor labels, Random random)
    {
        ArgumentNullException.ThrowIfNull(mixup);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        var shape = images.shape;
        if (shape.Length != 4) throw new ArgumentException($"Expected an NCHW batch, got [{string.Join(", ", shape)}].", nameof(images));
        if (shape[0] % 2 != 0) throw new ArgumentException($"Mixup needs an even batch size, got {shape[0]}.", nameof(images));
        if (labels.dim() != 1 || labels.shape[0] != shape[0])
            throw new ArgumentException($"Expected {shape[0]} labels, got [{string.Join(", ", labels.shape)}].", nameof(labels));

        var (lam, cutmix) = mixup.SampleParameters(random);
        Tensor mixed;
        CutmixBox? box = null;
        if (lam == 1.0)
        {
            mixed = images.alias();
        }
        else if (cutmix)
        {
            var (b, corrected) = mixup.SampleBox(random, (int)shape[2], (int)shape[3], lam);
            box = b;
            lam = corrected;
            // The box is pasted from the flipped batch: a clone, then one in-place copy into the box's slice.
            using var flipped = images.flip(0);
            mixed = images.clone();
            if (b.Area > 0)
            {
                using var rows = mixed.narrow(2, b.Y0, b.Y1 - b.Y0);
                using var target = rows.narrow(3, b.X0, b.X1 - b.X0);
                using var sourceRows = flipped.narrow(2, b.Y0, b.Y1 - b.Y0);
                using var source = sourceRows.narrow(3, b.X0, b.X1 - b.X0);
                target.copy_(source);
            }
        }
        else
        {
            using var flipped = images.flip(0);
            using var a = images * lam;
            using var bPart = flipped * (1.0 - lam);
            mixed = a + bPart;
        }
        var targets = MixupTarget(labels, mixup.Options.NumClasses, lam, mixup.Options.LabelSmoothing);
        return new TorchMixupBatch(mixed, targets, lam, box);
    }

    /// <summary>timm's <c>mixup_target</c>: smoothed one-hot targets mixed with those of the flipped batch (float32, on the labels' device).</summary>
    public static Tensor MixupTarget(Tensor labels, int numClasses, double lambda, double smoothing)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var off = smoothing / numClasses;
        var on = 1.0 - smoothing + off;
        using var y1 = SmoothOneHot(labels, numClasses, on, off);
        using var flippedLabels = labels.flip(0);
        using var y2 = SmoothOneHot(flippedLabels, numClasses, on, off);
        using var a = y1 * lambda;
        using var b = y2 * (1.0 - lambda);
        return a + b;
    }

    private static Tensor SmoothOneHot(Tensor labels, int numClasses, double on, double off)
    {
        using var hot = nn.functional.one_hot(labels, numClasses);
        using var mask = hot.eq(1);
        using var onT = full(new long[] { 1 }, on, dtype: ScalarType.Float32, device: labels.device);
        using var offT = full(new long[] { 1 }, off, dtype: ScalarType.Float32, device: labels.device);
        return where(mask, onT, offT);
    }
}
