namespace InceptionNeXt.Training.Data;

/// <summary>Settings of <see cref="DataLoader"/>.</summary>
public sealed record DataLoaderOptions
{
    /// <summary>Samples per batch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Shuffle the sample order each epoch (seeded by <see cref="Seed"/> and the epoch).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Drop the last, incomplete batch of an epoch.</summary>
    public bool DropLast { get; init; }

    /// <summary>Worker threads that load and transform batches (at least 1).</summary>
    public int Workers { get; init; } = 2;

    /// <summary>
    /// Most batches being built or finished and waiting for the consumer at any time (at least 1); the consumer
    /// additionally holds the batch it is working on. Bounds memory to about (Prefetch + 1) batch buffers.
    /// </summary>
    public int Prefetch { get; init; } = 4;

    /// <summary>Seed of the shuffle and of every sample's augmentation generator.</summary>
    public int Seed { get; init; }
}
