using InceptionNeXt.Training.LibTorch;

namespace InceptionNeXt.Training.Optim;

/// <summary>SGD with momentum, Nesterov and L2 weight decay (torch.optim.SGD); one native call per step.</summary>
public sealed class Sgd : Optimizer
{
    private readonly Tensor[] momentumBuffers;
    private readonly IntPtr[] rawBuffers;

    /// <summary>Creates the optimizer.</summary>
    public Sgd(IReadOnlyList<ParameterEntry> parameters, double learningRate, double momentum = 0.9, bool nesterov = false,
        double dampening = 0) : base(parameters, learningRate)
    {
        Momentum = momentum;
        Nesterov = nesterov;
        Dampening = dampening;
        momentumBuffers = parameters.Select(p => AdamW.ZerosLike(p.Parameter)).ToArray();
        rawBuffers = Torch.Raw(momentumBuffers);
    }

    /// <summary>Momentum factor.</summary>
    public double Momentum { get; }
    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; }
    /// <summary>Dampening of the momentum update.</summary>
    public double Dampening { get; }

    /// <summary>Momentum buffers, one per parameter (for checkpoints).</summary>
    public IReadOnlyList<Tensor> MomentumBuffers => momentumBuffers;

    /// <inheritdoc/>
    public override unsafe void Step()
    {
        fixed (IntPtr* p = Raw)
        fixed (IntPtr* b = rawBuffers)
        fixed (double* wd = WeightDecays)
            TorchNative.Check(TorchNative.ixt_sgd_step(p, b, Raw.Length, LearningRate, Momentum, Dampening, wd,
                Nesterov ? 1 : 0, StepCount == 0 ? 1 : 0));
        StepCount++;
        GC.KeepAlive(Entries);
    }

    /// <summary>Restores the step count after loading momentum buffers.</summary>
    public void SetStepCount(long steps) => StepCount = steps;

    /// <inheritdoc/>
    public override void Dispose()
    {
        foreach (var t in momentumBuffers) t.Dispose();
    }
}
