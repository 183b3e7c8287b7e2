using System.Collections;

namespace InceptionNeXt.ML.OnnxRuntime;

/// <summary>
/// The outputs of one run, in the order requested, each owning a buffer that ONNX Runtime allocated. Read them in
/// place with <see cref="OrtTensor.GetSpan{T}"/> or copy them out with <see cref="OrtTensor.ToArray{T}"/>;
/// disposing the results releases every output.
/// </summary>
public sealed class OrtRunResults : IReadOnlyList<NamedTensor>, IDisposable
{
    private readonly NamedTensor[] _outputs;

    internal OrtRunResults(NamedTensor[] outputs) => _outputs = outputs;

    /// <summary>The number of outputs.</summary>
    public int Count => _outputs.Length;

    /// <summary>The output at <paramref name="index"/>.</summary>
    public NamedTensor this[int index] => _outputs[index];

    /// <summary>The output named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No output has that name.</exception>
    public OrtTensor this[string name]
    {
        get
        {
            foreach (NamedTensor output in _outputs)
            {
                if (output.Name == name)
                {
                    return output.Tensor;
                }
            }

            throw new KeyNotFoundException(
                $"These results have no output '{name}'; they hold {string.Join(", ", _outputs.Select(o => $"'{o.Name}'"))}.");
        }
    }

    /// <inheritdoc/>
    public IEnumerator<NamedTensor> GetEnumerator() => ((IEnumerable<NamedTensor>)_outputs).GetEnumerator();

    /// <inheritdoc/>
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Releases every output; safe to call more than once.</summary>
    public void Dispose()
    {
        foreach (NamedTensor output in _outputs)
        {
            output.Tensor.Dispose();
        }
    }
}
