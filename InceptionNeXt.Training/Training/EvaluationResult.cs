namespace InceptionNeXt.Training.Training;

/// <summary>Accuracy of a model on a labelled set (like timm's validate.py).</summary>
/// <param name="Top1">Top-1 accuracy in percent.</param>
/// <param name="Top5">Top-5 accuracy in percent (top-k with k = number of classes when fewer than 5).</param>
/// <param name="Loss">Mean cross-entropy.</param>
/// <param name="Count">Images evaluated.</param>
/// <param name="PerClass">Top-1 accuracy per class in percent (NaN for a class with no images).</param>
/// <param name="Skipped">Images that could not be read.</param>
public sealed record EvaluationResult(double Top1, double Top5, double Loss, int Count, IReadOnlyList<double> PerClass, long Skipped);
