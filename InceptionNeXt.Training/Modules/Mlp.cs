using InceptionNeXt.ML.OnnxFormat;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.LibTorch;

namespace InceptionNeXt.Training.Modules;

/// <summary>Two-layer MLP with 1x1 convolutions on NCHW input (timm's ConvMlp: <c>fc1</c>, <c>act</c>, <c>fc2</c>).</summary>
public sealed class ConvMlp : Module
{
    private readonly Conv2d fc1;
    private readonly Conv2d fc2;
    private readonly Dropout drop;

    /// <summary>Creates the MLP.</summary>
    public ConvMlp(long inFeatures, long hiddenFeatures, double drop = 0)
    {
        fc1 = RegisterModule("fc1", new Conv2d(inFeatures, hiddenFeatures, 1));
        RegisterModule("norm", new Identity());
        RegisterModule("act", new GELU());
        this.drop = RegisterModule("drop", new Dropout(drop));
        fc2 = RegisterModule("fc2", new Conv2d(hiddenFeatures, inFeatures, 1));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        using var h = fc1.Forward(input);
        using var a = Functional.Gelu(h);
        using var d = drop.Forward(a);
        return fc2.Forward(d);
    }

    /// <inheritdoc/>
    public override string ExportOnnx(OnnxGraph graph, string input) => ExportOnnx(graph, input, null);

    /// <summary>Exports the MLP; a preceding eval-mode BatchNorm is folded into fc1 (a 1x1 conv, so exactly).</summary>
    public string ExportOnnx(OnnxGraph graph, string input, BatchNorm2d? precedingNorm)
    {
        var hidden = precedingNorm is null
            ? fc1.ExportOnnx(graph, input)
            : FoldedFc1(graph, input, precedingNorm);
        return fc2.ExportOnnx(graph, GELU.Export(graph, hidden));
    }

    private string FoldedFc1(OnnxGraph graph, string input, BatchNorm2d norm)
    {
        var (w, b) = BatchNormFolding.FoldBefore(norm, fc1);
        return fc1.ExportOnnx(graph, input, w, b);
    }
}

/// <summary>Two-layer MLP with linear layers on channels-last input (timm's Mlp: <c>fc1</c>, <c>act</c>, <c>fc2</c>).</summary>
public sealed class Mlp : Module
{
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly Dropout drop;

    /// <summary>Creates the MLP.</summary>
    public Mlp(long inFeatures, long hiddenFeatures, double drop = 0)
    {
        fc1 = RegisterModule("fc1", new Linear(inFeatures, hiddenFeatures));
        RegisterModule("act", new GELU());
        this.drop = RegisterModule("drop1", new Dropout(drop));
        RegisterModule("norm", new Identity());
        fc2 = RegisterModule("fc2", new Linear(hiddenFeatures, inFeatures));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        using var h = fc1.Forward(input);
        using var a = Functional.Gelu(h);
        using var d = drop.Forward(a);
        return fc2.Forward(d);
    }

    /// <inheritdoc/>
    public override string ExportOnnx(OnnxGraph graph, string input) =>
        fc2.ExportOnnx(graph, GELU.Export(graph, fc1.ExportOnnx(graph, input)));
}
