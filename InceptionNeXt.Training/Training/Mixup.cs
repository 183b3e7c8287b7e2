namespace InceptionNeXt.Training.Training;

/// <summary>Settings of <see cref="Mixup"/> (timm's <c>Mixup</c> arguments; defaults are the InceptionNeXt/ConvNeXt recipe).</summary>
/// <param name="NumClasses">Number of classes of the soft targets.</param>
/// <param name="MixupAlpha">Beta(alpha, alpha) parameter of mixup; 0 disables mixup.</param>
/// <param name="CutmixAlpha">Beta(alpha, alpha) parameter of CutMix; 0 disables CutMix.</param>
/// <param name="Prob">Probability of mixing a batch at all.</param>
/// <param name="SwitchProb">Probability of CutMix instead of mixup when both are enabled.</param>
/// <param name="LabelSmoothing">Label smoothing folded into the soft targets.</param>
/// <param name="CorrectLambda">Recompute lambda for CutMix from the box area left after clipping to the image (timm's correct_lam).</param>
public sealed record MixupOptions(int NumClasses, double MixupAlpha = 0.8, double CutmixAlpha = 1.0, double Prob = 1.0,
    double SwitchProb = 0.5, double LabelSmoothing = 0.1, bool CorrectLambda = true);

/// <summary>A CutMix box in pixel rows [Y0, Y1) and columns [X0, X1).</summary>
/// <param name="Y0">First row.</param>
/// <param name="Y1">Row after the last.</param>
/// <param name="X0">First column.</param>
/// <param name="X1">Column after the last.</param>
public readonly record struct CutmixBox(int Y0, int Y1, int X0, int X1)
{
    /// <summary>Number of pixels in the box.</summary>
    public int Area => (Y1 - Y0) * (X1 - X0);
}

/// <summary>
/// timm's <c>Mixup</c> in <c>mode='batch'</c>: one lambda per batch, each sample i mixed with sample N-1-i (the batch
/// flipped along dimension 0). With probability <see cref="MixupOptions.Prob"/> the batch is mixed; then CutMix is used
/// with probability <see cref="MixupOptions.SwitchProb"/> (when both alphas are positive) with lambda ~ Beta(cutmix_alpha),
/// else mixup with lambda ~ Beta(mixup_alpha). Mixup: <c>x * lam + flip(x) * (1 - lam)</c>. CutMix: a box of side
/// <c>int(H * sqrt(1 - lam))</c> x <c>int(W * sqrt(1 - lam))</c> centred on a uniform pixel and clipped to the image is
/// copied from the flipped batch, and lambda becomes <c>1 - box_area / (H * W)</c>. Targets are timm's
/// <c>mixup_target</c>: one-hot rows with off value <c>smoothing / classes</c> and on value <c>1 - smoothing + off</c>,
/// mixed as <c>lam * y + (1 - lam) * flip(y)</c>. This class draws the parameters; <see cref="TorchTraining.TorchMixup"/>
/// applies them to TorchSharp tensors. All randomness comes from the <see cref="Random"/> passed in, so a
/// pipeline seeded from (seed, epoch) repeats exactly.
/// </summary>
public sealed class Mixup
{
    /// <summary>Creates the augmentation.</summary>
    /// <exception cref="ArgumentException">Invalid settings.</exception>
    public Mixup(MixupOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.NumClasses < 1) throw new ArgumentException("NumClasses must be positive.", nameof(options));
        if (options.MixupAlpha < 0 || options.CutmixAlpha < 0) throw new ArgumentException("Mixup and CutMix alphas must be >= 0.", nameof(options));
        if (options.MixupAlpha == 0 && options.CutmixAlpha == 0) throw new ArgumentException("One of MixupAlpha and CutmixAlpha must be > 0.", nameof(options));
        if (options.Prob is < 0 or > 1 || options.SwitchProb is < 0 or > 1) throw new ArgumentException("Probabilities must be in [0, 1].", nameof(options));
        if (options.LabelSmoothing is < 0 or >= 1) throw new ArgumentException("LabelSmoothing must be in [0, 1).", nameof(options));
        Options = options;
    }

    /// <summary>The settings.</summary>
    public MixupOptions Options { get; }

    /// <summary>When false, batches pass unmixed (targets are still smoothed soft targets), like timm's <c>mixup_enabled</c>.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Draws the batch parameters as timm's <c>_params_per_batch</c>: (lambda, use CutMix).</summary>
    public (double Lambda, bool UseCutmix) SampleParameters(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!Enabled || !(random.NextDouble() < Options.Prob)) return (1.0, false);
        bool cutmix;
        if (Options.MixupAlpha > 0 && Options.CutmixAlpha > 0) cutmix = random.NextDouble() < Options.SwitchProb;
        else cutmix = Options.CutmixAlpha > 0;
        var alpha = cutmix ? Options.CutmixAlpha : Options.MixupAlpha;
        return (SampleBeta(random, alpha, alpha), cutmix);
    }

    /// <summary>
    /// timm's <c>rand_bbox</c> plus <c>correct_lam</c>: a box for lambda <paramref name="lambda"/> on an
    /// <paramref name="height"/> x <paramref name="width"/> image, and the lambda to use with it.
    /// </summary>
    public (CutmixBox Box, double Lambda) SampleBox(Random random, int height, int width, double lambda)
    {
        ArgumentNullException.ThrowIfNull(random);
        var ratio = Math.Sqrt(1 - lambda);
        int cutH = (int)(height * ratio), cutW = (int)(width * ratio);
        int cy = random.Next(0, height), cx = random.Next(0, width);
        var box = new CutmixBox(Math.Clamp(cy - cutH / 2, 0, height), Math.Clamp(cy + cutH / 2, 0, height),
            Math.Clamp(cx - cutW / 2, 0, width), Math.Clamp(cx + cutW / 2, 0, width));
        var lam = Options.CorrectLambda ? 1.0 - box.Area / (double)(height * width) : lambda;
        return (box, lam);
    }

    /// <summary>A Beta(a, b) draw from two Gamma draws (Marsaglia and Tsang).</summary>
    public static double SampleBeta(Random random, double a, double b)
    {
        ArgumentNullException.ThrowIfNull(random);
        var x = SampleGamma(random, a);
        var y = SampleGamma(random, b);
        return x + y == 0 ? 0.5 : x / (x + y);
    }

    private static double SampleGamma(Random random, double shape)
    {
        if (shape < 1)
        {
            // Gamma(k) = Gamma(k + 1) * U^(1/k).
            var u = 1.0 - random.NextDouble();
            return SampleGamma(random, shape + 1) * Math.Pow(u, 1.0 / shape);
        }
        var d = shape - 1.0 / 3;
        var c = 1.0 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = SampleNormal(random);
                v = 1 + c * x;
            } while (v <= 0);
            v = v * v * v;
            var u = 1.0 - random.NextDouble();
            if (u < 1 - 0.0331 * x * x * x * x) return d * v;
            if (Math.Log(u) < 0.5 * x * x + d * (1 - v + Math.Log(v))) return d * v;
        }
    }

    private static double SampleNormal(Random random)
    {
        // Box-Muller.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
