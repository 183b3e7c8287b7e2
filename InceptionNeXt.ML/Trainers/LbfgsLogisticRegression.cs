namespace InceptionNeXt.ML.Trainers;

/// <summary>
/// Multinomial logistic regression (softmax + cross-entropy) fitted by L-BFGS, the counterpart of ML.NET's
/// LbfgsMaximumEntropy. Minimises <c>mean cross-entropy + 0.5 * L2Regularization * ||W||^2</c> over standardised
/// features (the penalty is on the weights, not the biases, and is added to the mean loss, not the summed loss, so
/// its strength does not depend on the number of samples). The objective is convex and training starts from zero
/// weights, so the result is deterministic; the gradient is computed in parallel with a fixed reduction order.
/// The result is a one-layer <see cref="ClassifierHead"/>.
/// </summary>
public sealed class LbfgsLogisticRegression : IHeadTrainer
{
    /// <inheritdoc/>
    public string Name => "lbfgs-logistic-regression";

    /// <summary>Strength l2 of the penalty 0.5 * l2 * ||W||^2 added to the mean cross-entropy (default 1e-3).</summary>
    public double L2Regularization { get; init; } = 1e-3;

    /// <summary>Number of (s, y) correction pairs L-BFGS keeps (default 20).</summary>
    public int HistorySize { get; init; } = 20;

    /// <summary>Most L-BFGS iterations (default 200).</summary>
    public int MaxIterations { get; init; } = 200;

    /// <summary>
    /// Convergence tolerance (default 1e-6): training stops when the gradient norm falls to it, or when the objective's
    /// relative decrease per iteration, averaged over the last five iterations, falls below it.
    /// </summary>
    public double Tolerance { get; init; } = 1e-6;

    /// <summary>With a validation set, iterations without a lower validation loss before training stops (default 10).</summary>
    public int EarlyStoppingPatience { get; init; } = 10;

    /// <summary>Called after every iteration with its metrics; <see cref="HeadTrainingEpoch.Epoch"/> is the iteration number.</summary>
    public Action<HeadTrainingEpoch>? OnEpoch { get; init; }

    /// <summary>
    /// Fits the regression. With <paramref name="validation"/>, returns the iterate with the lowest validation loss and
    /// stops after <see cref="EarlyStoppingPatience"/> iterations without improvement; without it, the last iterate.
    /// Cancellation returns the best weights so far (zero weights if no iteration finished).
    /// </summary>
    /// <exception cref="ArgumentException">The validation set's feature size or class count differs from the training set's.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public ClassifierHead Train(HeadTrainingSet train, HeadTrainingSet? validation = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (!(L2Regularization >= 0) || double.IsInfinity(L2Regularization)) throw new ArgumentOutOfRangeException(nameof(L2Regularization), "L2 regularisation must be finite and non-negative.");
        if (HistorySize < 1) throw new ArgumentOutOfRangeException(nameof(HistorySize), "The L-BFGS history needs at least one pair.");
        if (MaxIterations < 1) throw new ArgumentOutOfRangeException(nameof(MaxIterations), "At least one iteration is needed.");
        if (!(Tolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(Tolerance), "The tolerance must be non-negative.");
        if (EarlyStoppingPatience < 1) throw new ArgumentOutOfRangeException(nameof(EarlyStoppingPatience), "Patience must be at least one iteration.");
        HeadTrainerChecks.CheckValidation(train, validation);

        int d = train.FeatureSize, classes = train.NumClasses;
        var (mean, scale) = FeatureStandardization.Fit(train);
        var objective = new SoftmaxRegressionObjective(FeatureStandardization.Apply(train, mean, scale), train.LabelArray, d, classes, L2Regularization);
        var validationObjective = validation is null
            ? null
            : new SoftmaxRegressionObjective(FeatureStandardization.Apply(validation, mean, scale), validation.LabelArray, d, classes, 0);

        var parameters = new double[objective.ParameterCount];
        double[]? best = null;
        var bestLoss = double.PositiveInfinity;
        var sinceBest = 0;
        bool OnIteration(int iteration, double step, double[] x, ObjectiveValue value)
        {
            double? validationLoss = null, validationAccuracy = null;
            var keepGoing = true;
            if (validationObjective is not null)
            {
                var measured = validationObjective.Evaluate(x, null);
                (validationLoss, validationAccuracy) = (measured.MeanLoss, measured.Accuracy);
                if (measured.MeanLoss < bestLoss)
                {
                    bestLoss = measured.MeanLoss;
                    best = (double[])x.Clone();
                    sinceBest = 0;
                }
                else if (++sinceBest >= EarlyStoppingPatience)
                {
                    keepGoing = false;
                }
            }
            OnEpoch?.Invoke(new HeadTrainingEpoch(iteration, value.MeanLoss, value.Accuracy, step, validationLoss, validationAccuracy));
            return keepGoing;
        }

        new LbfgsMinimizer(HistorySize, MaxIterations, Tolerance)
            .Minimize(parameters, (x, gradient) => objective.Evaluate(x, gradient), OnIteration, cancellationToken);
        return ToHead(best ?? parameters, mean, scale, d, classes);
    }

    private static ClassifierHead ToHead(double[] parameters, float[] mean, float[] scale, int d, int classes)
    {
        var weights = new float[classes * d];
        var bias = new float[classes];
        for (var i = 0; i < weights.Length; i++) weights[i] = (float)parameters[i];
        for (var k = 0; k < classes; k++) bias[k] = (float)parameters[weights.Length + k];
        return new ClassifierHead(mean, scale, [new DenseLayer(d, classes, weights, bias)]);
    }
}
