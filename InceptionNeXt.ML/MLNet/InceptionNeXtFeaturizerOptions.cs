namespace InceptionNeXt.ML.MLNet;

/// <summary>Settings of <c>mlContext.Transforms.FeaturizeImagesWithInceptionNeXt</c>.</summary>
public sealed class InceptionNeXtFeaturizerOptions : InceptionNeXtImageOptions
{
    /// <summary>
    /// Also output the model's class scores before softmax (its <c>logits</c> output) into a float vector column of this
    /// name, from the same run. Null (default): features only. The model must then be a classifier.
    /// </summary>
    public string? LogitsColumnName { get; set; }

    /// <summary>
    /// A folder for an on-disk cache of the outputs (the "bottleneck" values, as ML.NET's image classification trainer
    /// keeps them): an image already featurized by the same model and preprocessing is answered from the cache instead
    /// of being decoded and run, so training another head on the same images costs no backbone pass. Files are keyed by
    /// full path, length and modification time, encoded bytes by their SHA-256; MLImage inputs and unreadable images are
    /// never cached. Each batch is written as it is computed; a damaged cache file is ignored and rewritten. Several
    /// processes may share the folder. Null (default): no cache. Not saved with the model. A folder that cannot be made
    /// is refused at <c>Fit</c>; writes that fail later (a full disk) turn the cache memory-only instead of failing the
    /// run (<see cref="InceptionNeXtFeaturizingTransformer.CacheWriteError"/>).
    /// </summary>
    public string? CacheDirectory { get; set; }

    internal override void Validate()
    {
        base.Validate();
        if (CacheDirectory is { Length: 0 }) throw new ArgumentOutOfRangeException(nameof(CacheDirectory), "CacheDirectory must not be empty (null for no cache).");
        if (LogitsColumnName is { Length: 0 }) throw new ArgumentOutOfRangeException(nameof(LogitsColumnName), "LogitsColumnName must not be empty (null for none).");
    }
}
