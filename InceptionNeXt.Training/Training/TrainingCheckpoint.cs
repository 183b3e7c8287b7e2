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
    IReadOnlyDictionary<string, object?> Args, string OptimizerType, bool HasEma);

/// <summary>
/// The training checkpoint format: one PyTorch zip file that <c>torch.load</c> opens, a dict tagged
/// <see cref="FormatTag"/> under <c>format</c>; <see cref="TorchTraining.TorchTrainingCheckpoint"/> writes and reads it.
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>Format tag stored under <c>format</c>.</summary>
    public const string FormatTag = "inceptionnext-training-v1";
}
