using InceptionNeXt.Training.Data;
using InceptionNeXt.Training.LibTorch;
using InceptionNeXt.Training.Models;

namespace InceptionNeXt.Training.Training;

/// <summary>Accuracy of a model on a labelled set (like timm's validate.py).</summary>
/// <param name="Top1">Top-1 accuracy in percent.</param>
/// <param name="Top5">Top-5 accuracy in percent (top-k with k = number of classes when fewer than 5).</param>
/// <param name="Loss">Mean cross-entropy.</param>
/// <param name="Count">Images evaluated.</param>
/// <param name="PerClass">Top-1 accuracy per class in percent (NaN for a class with no images).</param>
/// <param name="Skipped">Images that could not be read.</param>
public sealed record EvaluationResult(double Top1, double Top5, double Loss, int Count, IReadOnlyList<double> PerClass, long Skipped);

/// <summary>Runs a model in eval mode over a dataset with the eval transform.</summary>
public static class Evaluator
{
    /// <summary>Evaluates <paramref name="model"/> on <paramref name="dataset"/>.</summary>
    public static EvaluationResult Evaluate(ImageClassifier model, IImageDataset dataset, IImageTransform transform, int batchSize,
        int workers, Device device, CancellationToken cancellationToken = default)
    {
        var classes = dataset.Classes.Count;
        var correct = new long[classes];
        var total = new long[classes];
        long top5 = 0, count = 0;
        double lossSum = 0;
        var wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            using var loader = new DataLoader(dataset, transform, new DataLoaderOptions { BatchSize = batchSize, Shuffle = false, Workers = workers });
            using var noGrad = Torch.NoGrad();
            var k = Math.Min(5, classes);
            foreach (var batch in loader.GetEpoch(0, cancellationToken))
            {
                using var scope = Torch.NewDisposeScope();
                var (x, y) = batch.ToTensors(device);
                var logits = model.Forward(x);
                lossSum += Functional.CrossEntropy(logits, y).Item() * batch.Count;
                var (_, topIndices) = logits.TopK(k, 1);
                var predicted = topIndices.ToLongArray();
                for (var i = 0; i < batch.Count; i++)
                {
                    var label = batch.Labels[i];
                    total[label]++;
                    if (predicted[i * k] == label) correct[label]++;
                    for (var j = 0; j < k; j++)
                        if (predicted[i * k + j] == label) { top5++; break; }
                }
                count += batch.Count;
            }
            if (count == 0) throw new InvalidDataException("The validation set has no readable images.");
            return new EvaluationResult(100.0 * correct.Sum() / count, 100.0 * top5 / count, lossSum / count, (int)count,
                Enumerable.Range(0, classes).Select(c => total[c] == 0 ? double.NaN : 100.0 * correct[c] / total[c]).ToArray(),
                loader.SkippedCount);
        }
        finally
        {
            model.Train(wasTraining);
        }
    }
}
