using InceptionNeXt.Training.LibTorch;

namespace InceptionNeXt.Training.Optim;

/// <summary>AdamW (decoupled weight decay), the same update as torch.optim.AdamW; one native call per step.</summary>
public sealed class AdamW : Optimizer
{
    private readonly Tensor[] expAvg;
    private readonly Tensor[] expAvgSq;
    private readonly IntPtr[] rawExpAvg;
    private readonly IntPtr[] rawExpAvgSq;

    /// <summary>Creates the optimizer.</summary>
    public AdamW(IReadOnlyList<ParameterEntry> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8) : base(parameters, learningRate)
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        expAvg = parameters.Select(p => ZerosLike(p.Parameter)).ToArray();
        expAvgSq = parameters.Select(p => ZerosLike(p.Parameter)).ToArray();
        rawExpAvg = Torch.Raw(expAvg);
        rawExpAvgSq = Torch.Raw(expAvgSq);
    }

    /// <summary>First-moment decay.</summary>
    public double Beta1 { get; }
    /// <summary>Second-moment decay.</summary>
    public double Beta2 { get; }
    /// <summary>Denominator epsilon.</summary>
    public double Eps { get; }

    /// <summary>First-moment estimates, one per parameter (for checkpoints).</summary>
    public IReadOnlyList<Tensor> ExpAvg => expAvg;
    /// <summary>Second-moment estimates, one per parameter (for checkpoints).</summary>
    public IReadOnlyList<Tensor> ExpAvgSq => expAvgSq;

    /// <inheritdoc/>
    public override unsafe void Step()
    {
        StepCount++;
        fixed (IntPtr* p = Raw)
        fixed (IntPtr* m = rawExpAvg)
        fixed (IntPtr* v = rawExpAvgSq)
        fixed (double* wd = WeightDecays)
            TorchNative.Check(TorchNative.ixt_adamw_step(p, m, v, Raw.Length, LearningRate, Beta1, Beta2, Eps, wd, StepCount));
        GC.KeepAlive(Entries);
    }

    /// <summary>Restores the step count (moment tensors are restored by copying into <see cref="ExpAvg"/> / <see cref="ExpAvgSq"/>).</summary>
    public void SetStepCount(long steps) => StepCount = steps;

    /// <inheritdoc/>
    public override void Dispose()
    {
        foreach (var t in expAvg) t.Dispose();
        foreach (var t in expAvgSq) t.Dispose();
    }

    internal static Tensor ZerosLike(Tensor t) => Torch.Zeros(t.Shape, t.DType, t.Device).DetachFromDisposeScope();
}
