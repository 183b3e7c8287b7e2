using InceptionNeXt.Training.LibTorch;
using InceptionNeXt.Training.Modules;

namespace InceptionNeXt.Training.Training;

/// <summary>
/// Exponential moving average of a model's weights (timm's <c>ModelEmaV2</c>): after each optimizer step,
/// <c>ema = decay * ema + (1 - decay) * model</c> for every floating-point parameter and buffer, in state-dict order,
/// and a plain copy for the others (e.g. BatchNorm's int64 <c>num_batches_tracked</c>). One native call per update
/// (<c>ixt_ema_update</c>, <c>lerp_</c>). The EMA copy is a second model instance that the caller creates with the same
/// config; the constructor copies the model's current state into it and puts it in eval mode.
/// With warmup on, the decay follows timm's <c>ModelEmaV3</c> warmup,
/// <c>min(decay, max(minDecay, 1 - (1 + step / warmupGamma)^-warmupPower))</c>.
/// </summary>
public sealed class ModelEma : IDisposable
{
    private readonly List<Tensor> emaTensors;
    private readonly List<Tensor> modelTensors;
    private readonly IntPtr[] rawEma;
    private readonly IntPtr[] rawModel;

    /// <summary>Pairs <paramref name="emaModule"/> (owned by this object from now on) with <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">The two modules do not have the same state-dict names, shapes and types.</exception>
    public ModelEma(Module model, Module emaModule, double decay = 0.9998, bool warmup = false, double warmupGamma = 1.0,
        double warmupPower = 2.0 / 3, double minDecay = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(emaModule);
        if (ReferenceEquals(model, emaModule)) throw new ArgumentException("The EMA needs its own model instance.", nameof(emaModule));
        if (decay is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(decay), decay, "decay must be in [0, 1].");
        var own = model.NamedStateTensors().ToList();
        var ema = emaModule.NamedStateTensors().ToList();
        if (own.Count != ema.Count)
            throw new ArgumentException($"The EMA module has {ema.Count} state tensors, the model {own.Count}; create it with the same config.", nameof(emaModule));
        for (var i = 0; i < own.Count; i++)
        {
            if (own[i].Name != ema[i].Name || !own[i].Tensor.Shape.SequenceEqual(ema[i].Tensor.Shape) || own[i].Tensor.DType != ema[i].Tensor.DType)
                throw new ArgumentException(
                    $"State tensor {i} differs: model '{own[i].Name}' {own[i].Tensor}, EMA '{ema[i].Name}' {ema[i].Tensor}; create the EMA module with the same config.",
                    nameof(emaModule));
        }
        Module = emaModule;
        Decay = decay;
        Warmup = warmup;
        WarmupGamma = warmupGamma;
        WarmupPower = warmupPower;
        MinDecay = minDecay;
        modelTensors = own.Select(o => o.Tensor).ToList();
        emaTensors = ema.Select(e => e.Tensor).ToList();
        using (Torch.NoGrad())
            for (var i = 0; i < emaTensors.Count; i++) emaTensors[i].CopyFrom(modelTensors[i]);
        foreach (var p in emaModule.Parameters()) p.RequiresGrad = false;
        emaModule.Eval();
        rawEma = Torch.Raw(emaTensors);
        rawModel = Torch.Raw(modelTensors);
    }

    /// <summary>The averaged model (eval mode, no gradients); evaluate or save it like any model.</summary>
    public Module Module { get; }

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
    public unsafe void Update(double decay)
    {
        fixed (IntPtr* e = rawEma)
        fixed (IntPtr* m = rawModel)
            TorchNative.Check(TorchNative.ixt_ema_update(e, m, rawEma.Length, decay));
        GC.KeepAlive(emaTensors);
        GC.KeepAlive(modelTensors);
        Updates++;
    }

    /// <summary>Disposes the EMA module.</summary>
    public void Dispose() => Module.Dispose();
}
