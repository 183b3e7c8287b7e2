namespace InceptionNeXt.Training.LibTorch;

/// <summary>
/// Collects every tensor created on this thread while it is the innermost open scope and disposes them
/// together, so a training loop does not leave native memory to the finalizer. Results that must outlive
/// the scope are moved out with <see cref="Tensor.MoveToOuterDisposeScope"/> or
/// <see cref="Tensor.DetachFromDisposeScope"/>.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? current;

    private readonly HashSet<Tensor> tensors = new(ReferenceEqualityComparer.Instance);
    private readonly DisposeScope? outer;
    private bool disposed;

    internal DisposeScope()
    {
        outer = current;
        current = this;
    }

    /// <summary>The innermost open scope of the calling thread, if any.</summary>
    public static DisposeScope? Current => current;

    /// <summary>Number of live tensors the scope will dispose.</summary>
    public int Count => tensors.Count;

    internal static void Register(Tensor tensor)
    {
        if (current is { } scope)
        {
            scope.tensors.Add(tensor);
            tensor.Scope = scope;
        }
    }

    internal void Remove(Tensor tensor) => tensors.Remove(tensor);

    internal void MoveToOuter(Tensor tensor)
    {
        tensors.Remove(tensor);
        tensor.Scope = outer;
        outer?.tensors.Add(tensor);
    }

    /// <summary>Disposes every tensor still registered and makes the enclosing scope current again.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var tensor in tensors)
        {
            tensor.Scope = null;
            tensor.Dispose();
        }
        tensors.Clear();
        // Scopes nest lexically; closing an outer one first also closes the inner chain.
        if (ReferenceEquals(current, this)) current = outer;
    }
}
