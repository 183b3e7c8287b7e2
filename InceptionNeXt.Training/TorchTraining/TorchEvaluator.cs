using InceptionNeXt.Training.Data;
using InceptionNeXt.Training.TorchModels;
using InceptionNeXt.Training.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchTraining;

/// <summary>Runs a TorchSharp model in eval mode over a dataset with the eval transform (like timm's validate.py).</summary>
public static class TorchEvaluator
{
    /// <summary>Evaluates <paramref name="model"/> on <paramref name="dataset"/>.</summary>
    /// <exception cref="InvalidDataException">No image of the set could be read.</exception>
    public static EvaluationResult Evaluate(ImageClassifier model, IImageDataset dataset, IImageTransform transform, int batchSize,
        int workers, Device? device = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(dataset);
        var classes = dataset.Classes.Count;
        var correct = new long[classes];
        var total = new long[classes];
        long top5 = 0, count = 0;
        double lossSum = 0;
        var wasTraining = model.training;
        model.eval();
        try
        {
            using var loader = new DataLoader(dataset, transform, new DataLoaderOptions { BatchSize = batchSize, Shuffle = false, Workers = workers });
            using var noGrad = no_grad();
            var k = Math.Min(5, classes);
            foreach (var batch in loader.GetEpoch(0, cancellationToken))
            {
                // One scope per batch: inputs, logits and the top-k results go back to libtorch at once.
                using var scope = NewDisposeScope();
                var (x, y) = batch.ToTorchTensors(device);
                var logits = model.call(x);
                lossSum += TorchLosses.CrossEntropy(logits, y).item<float>() * batch.Count;
                var (_, topIndices) = logits.topk(k, 1);
                var predicted = topIndices.cpu().data<long>().ToArray();
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
            model.train(wasTraining);
        }
    }
}
