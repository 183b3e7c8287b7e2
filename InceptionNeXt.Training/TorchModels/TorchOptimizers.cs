using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// TorchSharp's own optimizers set up with timm's recipe: no weight decay for biases, 1-d parameters (norms, layer
/// scale <c>gamma</c>) and named exceptions; frozen parameters (requires_grad off) left out.
/// </summary>
public static class TorchOptimizers
{
    /// <summary>The trainable parameters split into (decayed, not decayed) by timm's rule.</summary>
    public static (List<Parameter> Decay, List<Parameter> NoDecay) DecayGroups(nn.Module model, IEnumerable<string>? noDecayNames = null)
    {
        var skip = new HashSet<string>(noDecayNames ?? [], StringComparer.Ordinal);
        var decay = new List<Parameter>();
        var noDecay = new List<Parameter>();
        foreach (var (name, p) in model.named_parameters())
        {
            if (!p.requires_grad) continue;
            if (p.dim() <= 1 || name.EndsWith(".bias", StringComparison.Ordinal) || skip.Contains(name)) noDecay.Add(p);
            else decay.Add(p);
        }
        if (decay.Count + noDecay.Count == 0) throw new ArgumentException("The model has no trainable parameters.", nameof(model));
        return (decay, noDecay);
    }

    /// <summary>torch.optim.AdamW over timm's two weight-decay groups.</summary>
    public static AdamW AdamW(nn.Module model, double learningRate, double weightDecay, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, IEnumerable<string>? noDecayNames = null)
    {
        var (decay, noDecay) = DecayGroups(model, noDecayNames);
        return optim.AdamW(
        [
            new AdamW.ParamGroup(decay, learningRate, beta1, beta2, eps, weightDecay),
            new AdamW.ParamGroup(noDecay, learningRate, beta1, beta2, eps, 0),
        ], learningRate, beta1, beta2, eps, weightDecay);
    }

    /// <summary>torch.optim.SGD with momentum over timm's two weight-decay groups (L2 decay).</summary>
    public static SGD Sgd(nn.Module model, double learningRate, double weightDecay, double momentum = 0.9, bool nesterov = false,
        IEnumerable<string>? noDecayNames = null)
    {
        var (decay, noDecay) = DecayGroups(model, noDecayNames);
        return optim.SGD(
        [
            new SGD.ParamGroup(decay, new SGD.Options { LearningRate = learningRate, momentum = momentum, nesterov = nesterov, weight_decay = weightDecay }),
            new SGD.ParamGroup(noDecay, new SGD.Options { LearningRate = learningRate, momentum = momentum, nesterov = nesterov, weight_decay = 0 }),
        ], learningRate, momentum, 0, weightDecay, nesterov);
    }

    /// <summary>Sets every parameter group's learning rate (what a schedule does after each update).</summary>
    public static void SetLearningRate(optim.Optimizer optimizer, double learningRate)
    {
        foreach (var group in optimizer.ParamGroups) group.LearningRate = learningRate;
    }
}
