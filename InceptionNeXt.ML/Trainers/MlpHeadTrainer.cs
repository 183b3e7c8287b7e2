namespace InceptionNeXt.ML.Trainers;

/// <summary>
/// A small multi-layer perceptron head, features -&gt; <see cref="HiddenSize"/> (ReLU) -&gt; classes, trained with
/// AdamW on shuffled mini-batches of standardised features, with early stopping on a validation set. The result is a
/// two-layer <see cref="ClassifierHead"/>. Runs with the same <see cref="Seed"/> give identical weights.
/// </summary>
public sealed class MlpHeadTrainer : IHeadTrainer
{
    /// <inheritdoc/>
    public string Name => "mlp";

    /// <summary>Width of the hidden layer (default 256).</summary>
    public int HiddenSize { get; init; } = 256;

    /// <summary>Adam learning rate, constant over training (default 1e-3).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Adam's decay rate of the gradient mean (default 0.9).</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam's decay rate of the squared gradient mean (default 0.999).</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Decoupled (AdamW) weight decay on the weight matrices, not the biases (default 1e-4).</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>Samples per mini-batch (default 64).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Most passes over the training set (default 100).</summary>
    public int Epochs { get; init; } = 100;

    /// <summary>Label smoothing s: the target is (1 - s) one-hot + s / classes (default 0).</summary>
    public double LabelSmoothing { get; init; }

    /// <summary>Seed of the weight initialisation, the per-epoch shuffles and the validation split (default 0).</summary>
    public int Seed { get; init; }

    /// <summary>
    /// Without an explicit validation set, the fraction of every class held out of training for early stopping
    /// (default 0.1; 0 trains on everything for <see cref="Epochs"/> epochs).
    /// </summary>
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Epochs without a lower validation loss before training stops (default 10).</summary>
    public int EarlyStoppingPatience { get; init; } = 10;

    /// <summary>Called after every epoch with its metrics.</summary>
    public Action<HeadTrainingEpoch>? OnEpoch { get; init; }

    /// <summary>
    /// Trains the head. With a validation set (given, or split off by <see cref="ValidationFraction"/>) returns the
    /// weights of the epoch with the lowest validation loss and stops after <see cref="EarlyStoppingPatience"/> epochs
    /// without improvement; otherwise the weights after the last epoch. Cancellation, checked between mini-batches,
    /// returns the best weights so far.
    /// </summary>
    /// <exception cref="ArgumentException">The validation set's feature size or class count differs from the training set's.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public ClassifierHead Train(HeadTrainingSet train, HeadTrainingSet? validation = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        CheckOptions();
        HeadTrainerChecks.CheckValidation(train, validation);
        if (validation is null && ValidationFraction > 0 && train.TrySplit(ValidationFraction, Seed) is { } split)
            (train, validation) = split;

        int d = train.FeatureSize, classes = train.NumClasses, n = train.Count;
        var (mean, scale) = FeatureStandardization.Fit(train);
        var features = FeatureStandardization.Apply(train, mean, scale);
        var labels = train.LabelArray;
        var validationFeatures = validation is null ? null : FeatureStandardization.Apply(validation, mean, scale);
        var random = new Random(Seed);
        var batch = Math.Min(BatchSize, n);
        var network = new MlpHeadNetwork(d, HiddenSize, classes, batch, random);
        var adam = new AdamSettings((float)LearningRate, (float)Beta1, (float)Beta2, 1e-8f, (float)WeightDecay, (float)LabelSmoothing);

        var order = new int[n];
        for (var i = 0; i < n; i++) order[i] = i;
        float[][]? best = null;
        var bestLoss = double.PositiveInfinity;
        var sinceBest = 0;
        for (var epoch = 1; epoch <= Epochs && !cancellationToken.IsCancellationRequested; epoch++)
        {
            random.Shuffle(order);
            double lossSum = 0;
            long correct = 0;
            var offset = 0;
            for (; offset < n && !cancellationToken.IsCancellationRequested; offset += batch)
            {
                var (loss, right) = network.TrainStep(features, labels, order, offset, Math.Min(batch, n - offset), adam);
                lossSum += loss;
                correct += right;
            }
            if (offset < n) break; // Cancelled inside the epoch: it is not reported.

            double? validationLoss = null, validationAccuracy = null;
            var stop = false;
            if (validation is not null)
            {
                var (loss, right) = network.Measure(validationFeatures!, validation.LabelArray);
                (validationLoss, validationAccuracy) = (loss / validation.Count, (double)right / validation.Count);
                if (validationLoss < bestLoss)
                {
                    bestLoss = validationLoss.Value;
                    best = network.Parameters.Select(p => (float[])p.Clone()).ToArray();
                    sinceBest = 0;
                }
                else
                {
                    stop = ++sinceBest >= EarlyStoppingPatience;
                }
            }
            OnEpoch?.Invoke(new HeadTrainingEpoch(epoch, lossSum / n, (double)correct / n, LearningRate, validationLoss, validationAccuracy));
            if (stop) break;
        }

        var parameters = best ?? network.Parameters.Select(p => (float[])p.Clone()).ToArray();
        return new ClassifierHead(mean, scale,
        [
            new DenseLayer(d, HiddenSize, parameters[0], parameters[1]),
            new DenseLayer(HiddenSize, classes, parameters[2], parameters[3]),
        ], HeadActivation.Relu);
    }

    private void CheckOptions()
    {
        if (HiddenSize < 1) throw new ArgumentOutOfRangeException(nameof(HiddenSize), "The hidden layer needs at least one unit.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentOutOfRangeException(nameof(LearningRate), "The learning rate must be positive and finite.");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), "Beta1 must lie in [0, 1).");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), "Beta2 must lie in [0, 1).");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw new ArgumentOutOfRangeException(nameof(WeightDecay), "Weight decay must be finite and non-negative.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), "A mini-batch needs at least one sample.");
        if (Epochs < 1) throw new ArgumentOutOfRangeException(nameof(Epochs), "At least one epoch is needed.");
        if (!(LabelSmoothing >= 0 && LabelSmoothing < 1)) throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), "Label smoothing must lie in [0, 1).");
        if (!(ValidationFraction >= 0 && ValidationFraction < 1)) throw new ArgumentOutOfRangeException(nameof(ValidationFraction), "The validation fraction must lie in [0, 1).");
        if (EarlyStoppingPatience < 1) throw new ArgumentOutOfRangeException(nameof(EarlyStoppingPatience), "Patience must be at least one epoch.");
    }
}
