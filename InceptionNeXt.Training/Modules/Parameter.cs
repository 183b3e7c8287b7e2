using InceptionNeXt.Training.LibTorch;

namespace InceptionNeXt.Training.Modules;

/// <summary>A leaf tensor owned by a module and trained by optimizers. It never belongs to a dispose scope.</summary>
public sealed class Parameter : Tensor
{
    /// <summary>Creates a parameter over the data of <paramref name="data"/> (shared, not copied).</summary>
    public Parameter(Tensor data, bool requiresGrad = true)
        : base(TorchNative.Check(TorchNative.ixt_tensor_detach(data.Handle)))
    {
        DetachFromDisposeScope();
        if (requiresGrad) RequiresGrad = true;
    }
}
