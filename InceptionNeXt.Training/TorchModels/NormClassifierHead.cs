using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>ConvNeXt's head (timm's NormMlpClassifierHead without hidden layer): average pool, LayerNorm2d, flatten, dropout, fc.</summary>
public sealed class NormClassifierHead : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm2d norm;
    private readonly Dropout drop;
    private readonly int inFeatures;
    private nn.Module<Tensor, Tensor> fc;

    /// <summary>Creates the head.</summary>
    public NormClassifierHead(int inFeatures, int numClasses, double dropRate) : base(nameof(NormClassifierHead))
    {
        this.inFeatures = inFeatures;
        norm = new LayerNorm2d(inFeatures);
        drop = nn.Dropout(dropRate);
        fc = CreateClassifier(numClasses);
        register_module("norm", norm);
        register_module("pre_logits", nn.Identity());
        register_module("drop", drop);
        register_module("fc", fc);
    }

    /// <summary>The LayerNorm over the pooled channels.</summary>
    public LayerNorm2d Norm => norm;

    /// <summary>The classifier (a Linear, or an Identity with no classes).</summary>
    public nn.Module<Tensor, Tensor> Fc => fc;

    internal nn.Module<Tensor, Tensor> ResetClassifier(int numClasses)
    {
        // TorchSharp refuses to register a name twice; registering null removes the old entry.
        register_module("fc", null!);
        fc.Dispose();
        fc = CreateClassifier(numClasses);
        register_module("fc", fc);
        return fc;
    }

    private nn.Module<Tensor, Tensor> CreateClassifier(int numClasses) =>
        numClasses > 0 ? nn.Linear(inFeatures, numClasses) : nn.Identity();

    /// <inheritdoc/>
    public override Tensor forward(Tensor input) => Forward(input, false);

    /// <summary>Runs the head; with <paramref name="preLogits"/> stops before fc.</summary>
    public Tensor Forward(Tensor input, bool preLogits)
    {
        using var scope = NewDisposeScope();
        var x = drop.call(norm.call(input.mean([2, 3], keepdim: true)).flatten(1));
        return scope.MoveToOuter(preLogits ? x : fc.call(x));
    }
}
