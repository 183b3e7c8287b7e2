namespace InceptionNeXt.Training.Data;

/// <summary>
/// One batch from <see cref="DataLoader"/>: <see cref="Count"/> normalised images (NCHW floats) and labels. The
/// arrays are exactly <see cref="Count"/> samples long and owned by the consumer (never reused by the loader).
/// </summary>
public sealed class Batch
{
    /// <summary>Creates a batch.</summary>
    /// <param name="index">Batch index within the epoch.</param>
    /// <param name="imageSize">Side of each image.</param>
    /// <param name="images">Count x 3 x imageSize x imageSize floats.</param>
    /// <param name="labels">Count labels.</param>
    /// <param name="sampleIndices">Count dataset indices.</param>
    public Batch(int index, int imageSize, float[] images, int[] labels, int[] sampleIndices)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(sampleIndices);
        if (images.Length != labels.Length * 3 * imageSize * imageSize || sampleIndices.Length != labels.Length)
        {
            throw new ArgumentException("Batch arrays disagree on the sample count.");
        }

        Index = index;
        ImageSize = imageSize;
        Images = images;
        Labels = labels;
        SampleIndices = sampleIndices;
    }

    /// <summary>Batch index within the epoch (0-based, in delivery order).</summary>
    public int Index { get; }

    /// <summary>Side of each image.</summary>
    public int ImageSize { get; }

    /// <summary>Number of samples (smaller than the batch size for the last batch or when samples were skipped).</summary>
    public int Count => Labels.Length;

    /// <summary>Images, NCHW (Count x 3 x ImageSize x ImageSize), normalised.</summary>
    public float[] Images { get; }

    /// <summary>Labels.</summary>
    public int[] Labels { get; }

    /// <summary>The dataset index of each sample.</summary>
    public int[] SampleIndices { get; }

    /// <summary>
    /// Creates TorchSharp tensors: float32 images [Count, 3, S, S] and int64 labels [Count], in the current dispose scope
    /// (the caller disposes them or the scope does).
    /// </summary>
    /// <param name="device">Target device; null for the CPU.</param>
    public (TorchSharp.torch.Tensor Images, TorchSharp.torch.Tensor Labels) ToTorchTensors(TorchSharp.torch.Device? device = null)
    {
        long[] labels = Array.ConvertAll(Labels, l => (long)l);
        var images = TorchSharp.torch.tensor(Images, new long[] { Count, 3, ImageSize, ImageSize });
        var targets = TorchSharp.torch.tensor(labels, new long[] { Count });
        if (device is null || device.type == TorchSharp.DeviceType.CPU) return (images, targets);
        // The host copies are moved, then released at once: a batch is the largest allocation of a step.
        using (images)
        using (targets)
            return (images.to(device), targets.to(device));
    }
}
