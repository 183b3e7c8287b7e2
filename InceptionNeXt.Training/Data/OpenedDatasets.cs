namespace InceptionNeXt.Training.Data;

/// <summary>What <see cref="DatasetFactory.Open"/> found: the training and validation sets and a one-line description.</summary>
/// <param name="Train">The training set.</param>
/// <param name="Val">The validation set.</param>
/// <param name="Description">The detected layout, paths and sizes, for logs.</param>
public sealed record OpenedDatasets(IImageDataset Train, IImageDataset Val, string Description);
