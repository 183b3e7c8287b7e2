using InceptionNeXt.ML.OnnxFormat;
using InceptionNeXt.Training.LibTorch;
using InceptionNeXt.Training.Modules;

namespace InceptionNeXt.Training.Models;

/// <summary>One resolution stage of either family: <c>downsample</c> (or identity) followed by <c>blocks</c>.</summary>
public sealed class Stage : Module
{
    private readonly Module downsample;
    private readonly Sequential blocks;

    /// <summary>Creates the stage from its downsample layer and blocks.</summary>
    public Stage(Module downsample, IEnumerable<Module> blocks)
    {
        this.downsample = RegisterModule("downsample", downsample);
        this.blocks = RegisterModule("blocks", new Sequential([.. blocks]));
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        using var x = downsample.Forward(input);
        return blocks.Forward(x);
    }

    /// <inheritdoc/>
    public override string ExportOnnx(OnnxGraph graph, string input) =>
        blocks.ExportOnnx(graph, downsample.ExportOnnx(graph, input));
}
