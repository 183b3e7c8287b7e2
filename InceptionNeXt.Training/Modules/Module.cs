using InceptionNeXt.ML.OnnxFormat;
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.LibTorch;

namespace InceptionNeXt.Training.Modules;

/// <summary>
/// A network layer in the style of torch.nn.Module: named parameters, buffers and children, train/eval mode,
/// and a state dict whose keys and order are PyTorch's (own parameters, own buffers, then children).
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<KeyValuePair<string, Parameter?>> parameters = [];
    private readonly List<KeyValuePair<string, Tensor>> buffers = [];
    private readonly List<KeyValuePair<string, Module>> children = [];
    private bool disposed;

    /// <summary>True in training mode (dropout, drop path and batch statistics active).</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Runs the layer.</summary>
    public abstract Tensor Forward(Tensor input);

    /// <summary>
    /// Adds this layer, with eval-mode semantics and its current weights, to an ONNX graph; returns the name of
    /// its output value.
    /// </summary>
    /// <exception cref="NotSupportedException">The layer has no ONNX form.</exception>
    public virtual string ExportOnnx(OnnxGraph graph, string input) =>
        throw new NotSupportedException($"{GetType().Name} cannot be exported to ONNX.");

    /// <summary>Registers a parameter (null keeps the slot, as PyTorch does for bias=False).</summary>
    protected Parameter? RegisterParameter(string name, Parameter? parameter)
    {
        CheckName(name);
        parameters.Add(new(name, parameter));
        return parameter;
    }

    /// <summary>Registers a persistent buffer (saved in the state dict, not trained).</summary>
    protected Tensor RegisterBuffer(string name, Tensor buffer)
    {
        CheckName(name);
        buffer.DetachFromDisposeScope();
        buffers.Add(new(name, buffer));
        return buffer;
    }

    /// <summary>Registers a child module.</summary>
    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        children.Add(new(name, module));
        return module;
    }

    /// <summary>Replaces a registered child (e.g. a new classifier for transfer learning); the old one is disposed.</summary>
    protected T ReplaceModule<T>(string name, T module) where T : Module
    {
        var index = children.FindIndex(c => c.Key == name);
        if (index < 0) throw new ArgumentException($"No child module named '{name}'.", nameof(name));
        children[index].Value.Dispose();
        children[index] = new(name, module);
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"Invalid member name '{name}'.", nameof(name));
        if (parameters.Any(p => p.Key == name) || buffers.Any(b => b.Key == name) || children.Any(c => c.Key == name))
            throw new ArgumentException($"'{name}' is already registered.", nameof(name));
    }

    /// <summary>Direct children with their names.</summary>
    public IEnumerable<(string Name, Module Module)> NamedChildren() => children.Select(c => (c.Key, c.Value));

    /// <summary>This module and all descendants with dotted names (this one has the empty name).</summary>
    public IEnumerable<(string Name, Module Module)> NamedModules(string prefix = "")
    {
        yield return (prefix, this);
        foreach (var (name, child) in children)
            foreach (var item in child.NamedModules(Join(prefix, name)))
                yield return item;
    }

    /// <summary>All parameters with dotted names, in PyTorch's order.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var (name, p) in parameters)
            if (p is not null) yield return (Join(prefix, name), p);
        foreach (var (name, child) in children)
            foreach (var item in child.NamedParameters(Join(prefix, name)))
                yield return item;
    }

    /// <summary>All parameters, in PyTorch's order.</summary>
    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    /// <summary>All buffers with dotted names.</summary>
    public IEnumerable<(string Name, Tensor Buffer)> NamedBuffers(string prefix = "")
    {
        foreach (var (name, b) in buffers) yield return (Join(prefix, name), b);
        foreach (var (name, child) in children)
            foreach (var item in child.NamedBuffers(Join(prefix, name)))
                yield return item;
    }

    /// <summary>Parameters and buffers in state-dict order (per module: parameters, buffers, then children).</summary>
    public IEnumerable<(string Name, Tensor Tensor)> NamedStateTensors(string prefix = "")
    {
        foreach (var (name, p) in parameters)
            if (p is not null) yield return (Join(prefix, name), p);
        foreach (var (name, b) in buffers) yield return (Join(prefix, name), b);
        foreach (var (name, child) in children)
            foreach (var item in child.NamedStateTensors(Join(prefix, name)))
                yield return item;
    }

    /// <summary>Number of trainable parameter elements (buffers such as BN running statistics excluded).</summary>
    public long ParameterCount() => Parameters().Sum(p => p.Numel);

    /// <summary>Sets training mode on this module and all descendants.</summary>
    public Module Train(bool training = true)
    {
        foreach (var (_, m) in NamedModules()) m.IsTraining = training;
        return this;
    }

    /// <summary>Sets evaluation mode on this module and all descendants.</summary>
    public Module Eval() => Train(false);

    /// <summary>Sets requires-grad on every parameter (false freezes the module).</summary>
    public void RequiresGrad(bool requiresGrad)
    {
        foreach (var p in Parameters()) p.RequiresGrad = requiresGrad;
    }

    /// <summary>Copies parameters and buffers to the host, keyed by PyTorch names.</summary>
    public StateDict StateDict()
    {
        var result = new StateDict();
        foreach (var (name, tensor) in NamedStateTensors()) result.Add(name, tensor.ToTensorData());
        return result;
    }

    /// <summary>
    /// Copies values from <paramref name="stateDict"/> into the parameters and buffers (in place, so optimizers keep
    /// their references). With <paramref name="strict"/>, any missing, unexpected or mis-shaped key fails the whole
    /// load before anything is changed; otherwise matching keys are loaded and the others are returned.
    /// </summary>
    /// <exception cref="StateDictMismatchException">Strict and the keys or shapes differ.</exception>
    public LoadStateDictResult LoadStateDict(StateDict stateDict, bool strict = true, string source = "state dict")
    {
        var own = NamedStateTensors().ToList();
        var ownNames = new HashSet<string>(own.Select(o => o.Name), StringComparer.Ordinal);
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
            var shape = target.Shape;
            if (!shape.SequenceEqual(value.Shape))
            {
                mismatched.Add($"{name} (checkpoint [{string.Join(", ", value.Shape)}], model [{string.Join(", ", shape)}])");
                continue;
            }
            toLoad.Add((target, value));
        }
        var unexpected = stateDict.Keys.Where(k => !ownNames.Contains(k)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0 || mismatched.Count > 0))
            throw new StateDictMismatchException(source, missing, unexpected, mismatched);
        foreach (var (target, value) in toLoad)
        {
            using var src = value.ToTensor();
            target.CopyFrom(src);
        }
        return new LoadStateDictResult(missing, unexpected, mismatched);
    }

    /// <summary>Moves all parameters and buffers to <paramref name="device"/> in place: the same objects and native handles.</summary>
    public Module To(Device device)
    {
        Torch.EnsureDevice(device);
        foreach (var (_, tensor) in NamedStateTensors())
        {
            if (tensor.Device == device) continue;
            using var moved = tensor.To(device);
            tensor.SetData(moved);
        }
        return this;
    }

    /// <summary>Releases every parameter and buffer of this module and its descendants.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        foreach (var (_, p) in parameters) p?.Dispose();
        foreach (var (_, b) in buffers) b.Dispose();
        foreach (var (_, c) in children) c.Dispose();
        GC.SuppressFinalize(this);
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;
}

/// <summary>What a non-strict state-dict load skipped.</summary>
/// <param name="Missing">Keys the module has and the state dict lacks.</param>
/// <param name="Unexpected">Keys the state dict has and the module lacks.</param>
/// <param name="ShapeMismatches">Keys whose shapes differ (not loaded).</param>
public sealed record LoadStateDictResult(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<string> ShapeMismatches);
