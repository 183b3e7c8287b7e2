using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchTraining;

/// <summary>
/// Exponential moving average of a TorchSharp model's weights (timm's <c>ModelEmaV2</c>): after each optimizer step,
/// <c>ema = decay * ema + (1 - decay) * model</c> for every floating-point parameter and buffer, in state-dict order,
/// and a plain copy for the others (e.g. BatchNorm's int64 <c>num_batches_tracked</c>). The EMA copy is a second
/// model instance that the caller creates with the same config; the constructor copies the model's current state into
/// it, turns its gradients off and puts it in eval mode. With warmup on, the decay follows timm's <c>ModelEmaV3</c>
/// warmup, <c>min(decay, max(minDecay, 1 - (1 + step / warmupGamma)^-warmupPower))</c>.
/// </summary>
public sealed class TorchModelEma : IDisposable
{
    private readonly Tensor[] emaTensors;
    private readonly Tensor[] modelTensors;
    private readonly bool[] floating;

    /// <summary>Pairs <paramref name="emaModule"/> (owned by this object from now on) with <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">The two modules do not have the same state-dict names, shapes and types.</exception>
    public TorchModelEma(nn.Module model, nn.Module emaModule, double decay = 0.9998, bool warmup = false, double warmupGamma = 1.0,
        double warmupPower = 2.0 / 3, double minDecay = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(emaModule);
        if (ReferenceEquals(model, emaModule)) throw new ArgumentException("The EMA needs its own model instance.", nameof(emaModule));
        if (decay is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(decay), decay, "decay must be in [0, 1].");
        // state_dict() hands out the module's own tensors, so updating them updates the modules.
        var own = model.state_dict().ToList();
        var ema = emaModule.state_dict().ToList();
        if (own.Count != ema.Count)
            throw new ArgumentException($"The EMA module has {ema.Count} state tensors, the model {own.Count}; create it with the same config.", nameof(emaModule));
        for (var i = 0; i < own.Count; i++)
        {
            if (own[i].Key != ema[i].Key || !own[i].Value.shape.SequenceEqual(ema[i].Value.shape) || own[i].Value.dtype != ema[i].Value.dtype)
                throw new ArgumentException(
                    $"State tensor {i} differs: model '{own[i].Key}' [{string.Join(", ", own[i].Value.shape)}] {own[i].Value.dtype}, " +
                    $"EMA '{ema[i].Key}' [{string.Join(", ", ema[i].Value.shape)}] {ema[i].Value.dtype}; create the EMA module with the same config.",
                    nameof(emaModule));
        }
        Module = emaModule;
        Decay = decay;
        Warmup = warmup;
        WarmupGamma = warmupGamma;
        WarmupPower = warmupPower;
        MinDecay = minDecay;
        modelTensors = own.Select(o => o.Value).ToArray();
        emaTensors = ema.Select(e => e.Value).ToArray();
        floating = modelTensors.Select(t => t.is_floating_point()).ToArray();
        using (no_grad())
            for (var i = 0; i < emaTensors.Length; i++) emaTensors[i].copy_(modelTensors[i]);
        foreach (var p in emaModule.parameters()) p.requires_grad = false;
        emaModule.eval();
    }

    /// <summary>The averaged model (eval mode, no gradients); evaluate or save it like any model.</summary>
    public nn.Module Module { get; }

    /// <summary>The (maximum) decay.</summary>
    public double Decay { get; }

    /// <summary>Whether the decay warms up with the number of updates.</summary>
    public bool Warmup { get; }

    /// <summary>Warmup gamma (timm's warmup_gamma).</summary>
    public double WarmupGamma { get; }

    /// <summary>Warmup power (timm's warmup_power).</summary>
    public double WarmupPower { get; }

    /// <summary>Lower bound of the warmed-up decay.</summary>
    public double MinDecay { get; }

    /// <summary>Number of updates applied (restored from checkpoints; drives the warmup).</summary>
    public long Updates { get; set; }

    /// <summary>The decay used for update number <paramref name="step"/> (0-based).</summary>
    public double DecayAt(long step)
    {
        if (!Warmup) return Decay;
        var d = 1.0 - Math.Pow(1.0 + Math.Max(0, step) / WarmupGamma, -WarmupPower);
        return Math.Min(Decay, Math.Max(MinDecay, d));
    }

    /// <summary>Averages the model's current state into <see cref="Module"/>; call after each optimizer step.</summary>
    public void Update() => Update(DecayAt(Updates));

    /// <summary>Averages with an explicit <paramref name="decay"/>.</summary>
    public void Update(double decay)
    {
        // In place; the scope releases the handles TorchSharp returns from in-place calls at once, not at GC time.
        using (NewDisposeScope())
        using (no_grad())
            for (var i = 0; i < emaTensors.Length; i++)
            {
                if (floating[i]) emaTensors[i].mul_(decay).add_(modelTensors[i], alpha: 1 - decay);
                else emaTensors[i].copy_(modelTensors[i]);
            }
        Updates++;
    }

    /// <summary>Disposes the EMA module.</summary>
    public void Dispose() => Module.Dispose();
}
