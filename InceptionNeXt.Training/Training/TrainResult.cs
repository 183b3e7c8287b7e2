namespace InceptionNeXt.Training.Training;

/// <summary>What a finished (or stopped) run achieved.</summary>
/// <param name="BestTop1">Best validation top-1 over the epochs (percent).</param>
/// <param name="Last">The final validation.</param>
/// <param name="Epochs">Epochs completed.</param>
/// <param name="Stopped">True when cancelled before the end (a resumable checkpoint was written).</param>
/// <param name="CheckpointPath">The last checkpoint.</param>
public sealed record TrainResult(double BestTop1, EvaluationResult Last, int Epochs, bool Stopped, string CheckpointPath);
