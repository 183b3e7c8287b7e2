namespace InceptionNeXt.Training.Training;

/// <summary>Where training stands after one optimizer update.</summary>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="Step">Micro-batches done in this epoch.</param>
/// <param name="StepsPerEpoch">Micro-batches per epoch.</param>
/// <param name="Loss">Mean training loss of the epoch so far.</param>
/// <param name="LearningRate">Current learning rate.</param>
/// <param name="ImagesPerSecond">Training throughput of the epoch so far.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="TimeBudget">The run's time budget, if any.</param>
public sealed record TrainingStep(int Epoch, int Step, int StepsPerEpoch, double Loss, double LearningRate, double ImagesPerSecond,
    TimeSpan Elapsed, TimeSpan? TimeBudget);
