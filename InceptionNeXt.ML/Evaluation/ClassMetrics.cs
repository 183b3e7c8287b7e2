namespace InceptionNeXt.ML.Evaluation;

/// <summary>One class's row of a <see cref="MulticlassMetrics"/> report.</summary>
/// <param name="Index">Class index (the label value).</param>
/// <param name="Label">Class name.</param>
/// <param name="Precision">Correct predictions of this class over all predictions of it; 0 when it was never predicted.</param>
/// <param name="Recall">Correct predictions of this class over its examples; 0 when it has none.</param>
/// <param name="F1">Harmonic mean of precision and recall; 0 when both are 0.</param>
/// <param name="Support">Number of examples whose true label is this class.</param>
public sealed record ClassMetrics(int Index, string Label, double Precision, double Recall, double F1, int Support);
