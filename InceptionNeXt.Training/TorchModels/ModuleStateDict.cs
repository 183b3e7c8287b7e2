using InceptionNeXt.Training.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// A TorchSharp module's parameters and buffers as our <see cref="StateDict"/> (timm's names), and a strict, all-or-nothing
/// load from one that names every missing, unexpected and mis-shaped key at once.
/// </summary>
public static class ModuleStateDict
{
    /// <summary>Copies every parameter and buffer to the host, in the module's order.</summary>
    public static StateDict ToStateDict(this nn.Module module)
    {
        var result = new StateDict();
        foreach (var (name, tensor) in module.state_dict()) result.Add(name, tensor.ToTensorData());
        return result;
    }

    /// <summary>
    /// Copies values from <paramref name="stateDict"/> into the parameters and buffers in place (optimizers keep their
    /// references). With <paramref name="strict"/>, any missing, unexpected or mis-shaped key fails the whole load
    /// before anything is changed; otherwise matching keys are loaded and the others are returned.
    /// </summary>
    /// <exception cref="StateDictMismatchException">Strict and the keys or shapes differ.</exception>
    public static LoadStateDictResult LoadStateDict(this nn.Module module, StateDict stateDict, bool strict = true, string source = "state dict")
    {
        var own = module.state_dict();
        var missing = new List<string>();
        var mismatched = new List<string>();
        var toLoad = new List<(Tensor Target, TensorData Value)>();
        foreach (var (name, target) in own)
        {
            if (!stateDict.TryGet(name, out var value))
            {
                missing.Add(name);
                continue;
            }
            if (!target.shape.SequenceEqual(value.Shape))
            {
                mismatched.Add($"{name} (checkpoint [{string.Join(", ", value.Shape)}], model [{string.Join(", ", target.shape)}])");
                continue;
            }
            toLoad.Add((target, value));
        }
        var unexpected = stateDict.Keys.Where(k => !own.ContainsKey(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0 || mismatched.Count > 0))
            throw new StateDictMismatchException(source, missing, unexpected, mismatched);
        using var noGrad = no_grad();
        foreach (var (target, value) in toLoad)
        {
            using var src = value.ToTorchSharp();
            target.copy_(src);
        }
        return new LoadStateDictResult(missing, unexpected, mismatched);
    }
}
