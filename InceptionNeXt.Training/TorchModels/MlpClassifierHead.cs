using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>InceptionNeXt's head (timm's MlpClassifierHead): average pool, fc1 (3x), GELU, LayerNorm, dropout, fc2.</summary>
public sealed class MlpClassifierHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly LayerNorm norm;
    private readonly Dropout drop;
    private nn.Module<Tensor, Tensor> fc2;

    /// <summary>Creates the head.</summary>
    public MlpClassifierHead(int inFeatures, int numClasses, double mlpRatio = 3, double dropRate = 0) : base(nameof(MlpClassifierHead))
    {
        HiddenSize = (int)(mlpRatio * inFeatures);
        fc1 = nn.Linear(inFeatures, HiddenSize);
        norm = nn.LayerNorm(HiddenSize, 1e-6);
        fc2 = CreateClassifier(numClasses);
        drop = nn.Dropout(dropRate);
        register_module("fc1", fc1);
        register_module("act", nn.GELU());
        register_module("norm", norm);
        register_module("fc2", fc2);
        register_module("drop", drop);
    }

    /// <summary>Width of fc1 (the pre-logits size).</summary>
    public int HiddenSize { get; }

    /// <summary>fc1.</summary>
    public Linear Fc1 => fc1;

    /// <summary>The LayerNorm after the activation.</summary>
    public LayerNorm Norm => norm;

    /// <summary>The classifier (a Linear, or an Identity with no classes).</summary>
    public nn.Module<Tensor, Tensor> Fc2 => fc2;

    internal nn.Module<Tensor, Tensor> ResetClassifier(int numClasses)
    {
        // TorchSharp refuses to register a name twice; registering null removes the old entry.
        register_module("fc2", null!);
        fc2.Dispose();
        fc2 = CreateClassifier(numClasses);
        register_module("fc2", fc2);
        return fc2;
    }

    private nn.Module<Tensor, Tensor> CreateClassifier(int numClasses) =>
        numClasses > 0 ? nn.Linear(HiddenSize, numClasses) : nn.Identity();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => Forward(input, false);

    /// <summary>Runs the head; with <paramref name="preLogits"/> stops before fc2.</summary>
    public Tensor Forward(Tensor input, bool preLogits)
    {
        using var scope = NewDisposeScope();
        var x = drop.call(norm.call(nn.functional.gelu(fc1.call(input.mean([2, 3])))));
        return scope.MoveToOuter(preLogits ? x : fc2.call(x));
    }
}
