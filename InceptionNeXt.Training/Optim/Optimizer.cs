using InceptionNeXt.Training.LibTorch;
using InceptionNeXt.Training.Modules;

namespace InceptionNeXt.Training.Optim;

/// <summary>A parameter with the weight decay that applies to it.</summary>
/// <param name="Name">Dotted parameter name.</param>
/// <param name="Parameter">The parameter.</param>
/// <param name="WeightDecay">Decoupled (AdamW) or L2 (SGD) weight decay for this parameter.</param>
public sealed record ParameterEntry(string Name, Parameter Parameter, double WeightDecay);

/// <summary>Base of the optimizers: parameters with per-parameter weight decay and a settable learning rate.</summary>
public abstract class Optimizer : IDisposable
{
    /// <summary>Creates the optimizer over the trainable parameters.</summary>
    protected Optimizer(IReadOnlyList<ParameterEntry> parameters, double learningRate)
    {
        if (parameters.Count == 0) throw new ArgumentException("The optimizer got no trainable parameters.", nameof(parameters));
        Entries = parameters;
        LearningRate = learningRate;
        Raw = Torch.Raw(parameters.Select(p => (Tensor)p.Parameter).ToArray());
        WeightDecays = parameters.Select(p => p.WeightDecay).ToArray();
    }

    /// <summary>The parameters being optimized.</summary>
    public IReadOnlyList<ParameterEntry> Entries { get; }

    /// <summary>Learning rate used by the next <see cref="Step"/> (schedulers set it).</summary>
    public double LearningRate { get; set; }

    /// <summary>Number of steps taken.</summary>
    public long StepCount { get; protected set; }

    /// <summary>Native handles of the parameters, in <see cref="Entries"/> order.</summary>
    protected IntPtr[] Raw { get; }

    /// <summary>Weight decay per parameter.</summary>
    protected double[] WeightDecays { get; }

    /// <summary>Clears all gradients (sets them to none, like PyTorch's default).</summary>
    public unsafe void ZeroGrad()
    {
        fixed (IntPtr* p = Raw) TorchNative.Check(TorchNative.ixt_zero_grad(p, Raw.Length));
        GC.KeepAlive(Entries);
    }

    /// <summary>Rescales gradients so their global L2 norm is at most <paramref name="maxNorm"/>; returns the norm before clipping.</summary>
    public unsafe double ClipGradNorm(double maxNorm, double normType = 2)
    {
        double total;
        fixed (IntPtr* p = Raw) TorchNative.Check(TorchNative.ixt_clip_grad_norm(p, Raw.Length, maxNorm, normType, out total));
        GC.KeepAlive(Entries);
        return total;
    }

    /// <summary>Applies one update from the current gradients.</summary>
    public abstract void Step();

    /// <summary>Releases the optimizer state tensors.</summary>
    public abstract void Dispose();

    /// <summary>
    /// timm's grouping: no weight decay for biases, 1-d parameters (norms, layer scale <c>gamma</c>) and the given names;
    /// frozen parameters (requires-grad off) are left out.
    /// </summary>
    public static IReadOnlyList<ParameterEntry> DecayGroups(Module model, double weightDecay, IEnumerable<string>? noDecayNames = null)
    {
        var skip = new HashSet<string>(noDecayNames ?? [], StringComparer.Ordinal);
        return model.NamedParameters()
            .Where(p => p.Parameter.RequiresGrad)
            .Select(p => new ParameterEntry(p.Name, p.Parameter,
                p.Parameter.Dim <= 1 || p.Name.EndsWith(".bias", StringComparison.Ordinal) || skip.Contains(p.Name) ? 0 : weightDecay))
            .ToList();
    }
}
