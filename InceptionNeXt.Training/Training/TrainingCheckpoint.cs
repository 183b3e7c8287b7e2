using InceptionNeXt.Training.Checkpoints;

namespace InceptionNeXt.Training.Training;

/// <summary>
/// Where training stands. The data pipeline's order and augmentation must be a pure function of
/// (<see cref="DataSeed"/>, epoch, position), so that storing these three numbers instead of a
/// <see cref="System.Random"/> is enough to resume exactly.
/// </summary>
/// <param name="Epoch">The next epoch to run (epochs completed when saved at an epoch boundary).</param>
/// <param name="GlobalStep">Optimizer updates done so far.</param>
/// <param name="BestMetric">Best validation metric so far, if any.</param>
/// <param name="DataSeed">Seed of the data pipeline.</param>
/// <param name="DataPosition">Batches of <paramref name="Epoch"/> already consumed (0 at an epoch boundary).</param>
public sealed record TrainingProgress(long Epoch, long GlobalStep, double? BestMetric = null, long DataSeed = 0, long DataPosition = 0);

/// <summary>What <see cref="TorchTraining.TorchTrainingCheckpoint.Load"/> and <see cref="TorchTraining.TorchTrainingCheckpoint.ReadInfo"/> return besides the restored state.</summary>
/// <param name="Progress">Epoch, step, best metric and data position.</param>
/// <param name="ModelConfigJson">The model config JSON stored with the checkpoint, if any.</param>
/// <param name="ClassLabels">The class labels stored with the checkpoint, if any.</param>
/// <param name="Args">Free-form run arguments stored with the checkpoint (values as <see cref="PthReader.Load"/> returns them).</param>
/// <param name="OptimizerType">Optimizer type name stored ("AdamW" or "Sgd").</param>
/// <param name="HasEma">Whether the checkpoint holds EMA weights.</param>
public sealed record TrainingCheckpointInfo(TrainingProgress Progress, string? ModelConfigJson, IReadOnlyList<string>? ClassLabels,
    IReadOnlyDictionary<string, object?> Args, string OptimizerType, bool HasEma)
{
    /// <summary>The learning-rate schedule stored with the checkpoint (its parameters and position), if any.</summary>
    public CosineLrSchedule? Schedule { get; init; }

    /// <summary>The time budget of a <see cref="TrainOptions.TimeBudget"/> run and how much of it was spent, if the run had one.</summary>
    public TimeBudgetState? TimeBudget { get; init; }
}

/// <summary>Where a time-budget run stands, stored in its checkpoints so that a resumed run keeps the budget and schedule.</summary>
/// <param name="Budget">The whole run's budget.</param>
/// <param name="Elapsed">Training time spent when the checkpoint was saved.</param>
/// <param name="Fitted">Whether the schedule had been fitted to the budget (false: the resumed run fits it).</param>
public sealed record TimeBudgetState(TimeSpan Budget, TimeSpan Elapsed, bool Fitted);

/// <summary>
/// The training checkpoint format: one PyTorch zip file that <c>torch.load</c> opens, a dict tagged
/// <see cref="FormatTag"/> under <c>format</c>; <see cref="TorchTraining.TorchTrainingCheckpoint"/> writes and reads it.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>Format tag stored under <c>format</c>.</summary>
    public const string FormatTag = "inceptionnext-training-v1";
}
