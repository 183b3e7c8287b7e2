namespace InceptionNeXt.Training.Data;

/// <summary>A sample the <see cref="DataLoader"/> could not load and left out.</summary>
/// <param name="Epoch">The epoch.</param>
/// <param name="Index">The dataset index.</param>
/// <param name="Name">The sample's name (file path).</param>
/// <param name="Reason">The error message.</param>
public sealed record SkippedSample(int Epoch, int Index, string Name, string Reason);
