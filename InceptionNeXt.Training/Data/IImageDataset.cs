using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.Training.Data;

/// <summary>
/// A labelled image collection with random access. Labels are known without decoding (so splits and samplers
/// need no I/O); <see cref="Load"/> may fail for a corrupt or unreadable sample (the <see cref="DataLoader"/>
/// skips and counts such samples).
/// </summary>
public interface IImageDataset
{
    /// <summary>Number of samples.</summary>
    int Count { get; }

    /// <summary>Class names; a label is an index into this list.</summary>
    IReadOnlyList<string> Classes { get; }

    /// <summary>The label of sample <paramref name="index"/> (no decoding).</summary>
    /// <param name="index">Sample index in [0, <see cref="Count"/>).</param>
    int GetLabel(int index);

    /// <summary>A human-readable name of the sample for reports (a file path, or "file#index").</summary>
    /// <param name="index">Sample index in [0, <see cref="Count"/>).</param>
    string GetName(int index);

    /// <summary>Decodes sample <paramref name="index"/>. Thread-safe.</summary>
    /// <param name="index">Sample index in [0, <see cref="Count"/>).</param>
    /// <exception cref="IOException">The sample could not be read or decoded (e.g. <see cref="InvalidImageException"/>).</exception>
    RgbImage Load(int index);

    /// <summary>The decoded image and its label.</summary>
    /// <param name="index">Sample index in [0, <see cref="Count"/>).</param>
    (RgbImage Image, int Label) Get(int index) => (Load(index), GetLabel(index));
}
