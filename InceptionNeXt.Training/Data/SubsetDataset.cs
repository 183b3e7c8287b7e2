using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.Training.Data;

/// <summary>A view of some samples of another dataset (same classes), in the order of <see cref="Indices"/>.</summary>
public sealed class SubsetDataset : IImageDataset
{
    private readonly int[] _indices;

    /// <summary>Creates the view.</summary>
    /// <param name="source">The underlying dataset.</param>
    /// <param name="indices">Indices into <paramref name="source"/>.</param>
    public SubsetDataset(IImageDataset source, IEnumerable<int> indices)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(indices);
        Source = source;
        _indices = indices.ToArray();
        foreach (int i in _indices)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(i, nameof(indices));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, source.Count, nameof(indices));
        }
    }

    /// <summary>The underlying dataset.</summary>
    public IImageDataset Source { get; }

    /// <summary>The source indices, in view order.</summary>
    public IReadOnlyList<int> Indices => _indices;

    /// <inheritdoc />
    public int Count => _indices.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> Classes => Source.Classes;

    /// <inheritdoc />
    public int GetLabel(int index) => Source.GetLabel(_indices[index]);

    /// <inheritdoc />
    public string GetName(int index) => Source.GetName(_indices[index]);

    /// <inheritdoc />
    public RgbImage Load(int index) => Source.Load(_indices[index]);
}
