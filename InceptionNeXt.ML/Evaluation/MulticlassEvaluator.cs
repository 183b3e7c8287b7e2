namespace InceptionNeXt.ML.Evaluation;

/// <summary>Computes <see cref="MulticlassMetrics"/> from true labels and predicted class probabilities.</summary>
public static class MulticlassEvaluator
{
    /// <summary>Probabilities are clamped below at this value before the logarithm, as ML.NET does.</summary>
    public const double ProbabilityFloor = 1e-15;

    /// <summary>
    /// Evaluates predictions: <paramref name="labels"/>[i] is example i's true class index and
    /// <paramref name="probabilities"/>[i] its score per class (one entry per class label). The predicted class is the
    /// arg-max, ties going to the lowest index.
    /// </summary>
    /// <param name="labels">True class index of each example.</param>
    /// <param name="probabilities">Per example, one probability per class.</param>
    /// <param name="classLabels">Class names; their count is the number of classes.</param>
    /// <param name="topK">K of <see cref="MulticlassMetrics.TopKAccuracy"/>; values above the class count use the class count.</param>
    /// <exception cref="ArgumentException">Empty input, mismatched lengths, a label out of range, a probability vector of the wrong size or holding NaN.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="topK"/> is below 1.</exception>
    public static MulticlassMetrics Evaluate(IReadOnlyList<int> labels, IReadOnlyList<float[]> probabilities, IReadOnlyList<string> classLabels, int topK = 5)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentNullException.ThrowIfNull(classLabels);
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        int classes = classLabels.Count;
        int n = labels.Count;
        if (classes == 0) throw new ArgumentException("At least one class label is needed.", nameof(classLabels));
        if (n == 0) throw new ArgumentException("At least one example is needed.", nameof(labels));
        if (probabilities.Count != n)
            throw new ArgumentException($"There are {n} labels but {probabilities.Count} probability vectors; they must pair up.", nameof(probabilities));
        int k = Math.Min(topK, classes);

        var counts = new int[classes, classes];
        var support = new int[classes];
        var inTopK = new int[k]; // inTopK[r]: examples whose true class ranks r (0-based)
        double logLossSum = 0;
        for (var i = 0; i < n; i++)
        {
            int label = labels[i];
            if ((uint)label >= (uint)classes)
                throw new ArgumentException($"Label {i} is {label}, outside 0..{classes - 1} for {classes} classes.", nameof(labels));
            float[] p = probabilities[i] ?? throw new ArgumentException($"Probability vector {i} is null.", nameof(probabilities));
            if (p.Length != classes)
                throw new ArgumentException($"Probability vector {i} has {p.Length} entries but there are {classes} classes.", nameof(probabilities));

            int predicted = 0;
            int rank = 0; // classes ranked above the true one: a higher score, or an equal score at a lower index
            float truth = p[label];
            for (var c = 0; c < classes; c++)
            {
                if (float.IsNaN(p[c])) throw new ArgumentException($"Probability vector {i} holds NaN at class {c}.", nameof(probabilities));
                if (p[c] > p[predicted]) predicted = c;
                if (p[c] > truth || (p[c] == truth && c < label)) rank++;
            }

            counts[label, predicted]++;
            support[label]++;
            if (rank < k) inTopK[rank]++;
            logLossSum -= Math.Log(Math.Max(truth, ProbabilityFloor));
        }

        var matrix = new ConfusionMatrix(counts, classLabels);
        var perClass = new ClassMetrics[classes];
        int correct = 0, present = 0;
        double recallSum = 0, priorLogLoss = 0;
        for (var c = 0; c < classes; c++)
        {
            double precision = matrix.PerClassPrecision[c], recall = matrix.PerClassRecall[c];
            double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            perClass[c] = new ClassMetrics(c, matrix.ClassLabels[c], precision, recall, f1, support[c]);
            correct += counts[c, c];
            if (support[c] > 0)
            {
                present++;
                recallSum += recall;
                double frequency = (double)support[c] / n;
                priorLogLoss -= frequency * Math.Log(frequency);
            }
        }

        var topKForAll = new double[k];
        var cumulative = 0;
        for (var r = 0; r < k; r++)
        {
            cumulative += inTopK[r];
            topKForAll[r] = (double)cumulative / n;
        }

        double logLoss = logLossSum / n;
        double reduction = priorLogLoss > 0 ? 1 - logLoss / priorLogLoss : double.NaN;
        return new MulticlassMetrics(n, (double)correct / n, recallSum / present, logLoss, reduction, topKForAll, perClass, matrix);
    }
}
