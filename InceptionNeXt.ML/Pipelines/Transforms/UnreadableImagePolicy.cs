namespace InceptionNeXt.ML.Pipelines.Transforms;

/// <summary>What the featurizer does with an image that cannot be decoded.</summary>
public enum UnreadableImagePolicy
{
    /// <summary>Throw an <see cref="Imaging.InvalidImageException"/> naming the file (the default; right for prediction).</summary>
    Throw,

    /// <summary>Drop the row and report it through the skipped-image callback (right for training on a folder).</summary>
    Skip,
}

/// <summary>An image the featurizer skipped.</summary>
/// <param name="Source">The file path or name.</param>
/// <param name="Reason">Why it could not be read.</param>
public sealed record SkippedImage(string Source, string Reason);
