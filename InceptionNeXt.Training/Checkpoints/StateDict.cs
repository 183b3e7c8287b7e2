using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace InceptionNeXt.Training.Checkpoints;

/// <summary>
/// An ordered map from parameter/buffer name to <see cref="TensorData"/> (insertion order is preserved, like a
/// PyTorch OrderedDict state dict), plus free-form string <see cref="Metadata"/> (the safetensors "__metadata__").
/// </summary>
public sealed class StateDict : IReadOnlyDictionary<string, TensorData>
{
    private readonly OrderedDictionary<string, TensorData> _tensors = new(StringComparer.Ordinal);

    /// <summary>String metadata carried by the checkpoint (safetensors "__metadata__"; not stored in .pth files).</summary>
    public IDictionary<string, string> Metadata { get; } = new OrderedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Number of tensors.</summary>
    public int Count => _tensors.Count;

    /// <summary>Tensor names in insertion order.</summary>
    public IReadOnlyList<string> Keys => _tensors.Keys;

    /// <summary>Tensors in insertion order.</summary>
    public IReadOnlyList<TensorData> Values => _tensors.Values;

    IEnumerable<string> IReadOnlyDictionary<string, TensorData>.Keys => _tensors.Keys;

    IEnumerable<TensorData> IReadOnlyDictionary<string, TensorData>.Values => _tensors.Values;

    /// <summary>Gets a tensor by name (throws <see cref="KeyNotFoundException"/> naming the key when missing) or adds/replaces it; replacing keeps the original position.</summary>
    /// <param name="name">Tensor name.</param>
    /// <returns>The tensor.</returns>
    public TensorData this[string name]
    {
        get => _tensors.TryGetValue(name, out TensorData? t) ? t : throw new KeyNotFoundException($"State dict has no tensor named '{name}'.");
        set => Set(name, value);
    }

    /// <summary>Adds a tensor at the end; throws <see cref="ArgumentException"/> when the name already exists.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="tensor">The tensor.</param>
    public void Add(string name, TensorData tensor)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(tensor);
        if (!_tensors.TryAdd(name, tensor))
        {
            throw new ArgumentException($"State dict already has a tensor named '{name}'.", nameof(name));
        }
    }

    /// <summary>Adds a tensor at the end, or replaces an existing one in place.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="tensor">The tensor.</param>
    public void Set(string name, TensorData tensor)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(tensor);
        _tensors[name] = tensor;
    }

    /// <summary>Removes a tensor.</summary>
    /// <param name="name">Tensor name.</param>
    /// <returns>True when it existed.</returns>
    public bool Remove(string name) => _tensors.Remove(name);

    /// <summary>Whether a tensor with this name exists.</summary>
    /// <param name="key">Tensor name.</param>
    /// <returns>True when present.</returns>
    public bool ContainsKey(string key) => _tensors.ContainsKey(key);

    /// <summary>Looks up a tensor.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="tensor">The tensor when found.</param>
    /// <returns>True when found.</returns>
    public bool TryGet(string name, [MaybeNullWhen(false)] out TensorData tensor) => _tensors.TryGetValue(name, out tensor);

    /// <summary>Looks up a tensor (same as <see cref="TryGet"/>).</summary>
    /// <param name="key">Tensor name.</param>
    /// <param name="value">The tensor when found.</param>
    /// <returns>True when found.</returns>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out TensorData value) => _tensors.TryGetValue(key, out value);

    /// <summary>Removes every tensor and every metadata entry.</summary>
    public void Clear()
    {
        _tensors.Clear();
        Metadata.Clear();
    }

    /// <summary>Enumerates (name, tensor) pairs in insertion order.</summary>
    /// <returns>The enumerator.</returns>
    public IEnumerator<KeyValuePair<string, TensorData>> GetEnumerator() => _tensors.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
