using InceptionNeXt.Training.Training;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchTraining;

/// <summary>The result of <see cref="TorchMixup.Apply"/>: new tensors (the inputs are not modified) in the current dispose scope.</summary>
/// <param name="Images">Mixed NCHW batch.</param>
/// <param name="Targets">Soft targets, float32 [N, classes], rows summing to 1.</param>
/// <param name="Lambda">Weight of the original sample (after CutMix area correction); 1 when the batch was not mixed.</param>
/// <param name="Box">The CutMix box, or null for mixup or no mixing.</param>
public sealed record TorchMixupBatch(Tensor Images, Tensor Targets, double Lambda, CutmixBox? Box);
