namespace InceptionNeXt.ML.Trainers;

/// <summary>Trains a <see cref="ClassifierHead"/> on backbone features (transfer learning).</summary>
public interface IHeadTrainer
{
    /// <summary>Short name of the trainer, for logs and reports.</summary>
    string Name { get; }

    /// <summary>
    /// Trains a head on <paramref name="train"/>. With a <paramref name="validation"/> set the trainer stops early
    /// when the validation loss stops improving and returns the best-validation weights. Cancellation stops training
    /// and returns the best head so far.
    /// </summary>
    ClassifierHead Train(HeadTrainingSet train, HeadTrainingSet? validation = null, CancellationToken cancellationToken = default);
}
