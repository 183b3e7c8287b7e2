using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// iFormer's patch embedding between stages: a 3x3 stride-2 convolution (<c>proj</c>) and BatchNorm (<c>norm</c>);
/// NCHW in, NHWC out. The first stage's embedding is <see cref="IFormerFirstPatchEmbed"/>.
/// </summary>
public sealed class IFormerPatchEmbed : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d proj;
    private readonly BatchNorm2d norm;

    /// <summary>Creates the embedding from <paramref name="inDim"/> to <paramref name="dim"/> channels.</summary>
    public IFormerPatchEmbed(int inDim, int dim) : base(nameof(IFormerPatchEmbed))
    {
        proj = nn.Conv2d(inDim, dim, 3, stride: 2, padding: 1);
        norm = nn.BatchNorm2d(dim);
        register_module("proj", proj);
        register_module("norm", norm);
    }

    /// <summary>The convolution.</summary>
    public Conv2d Proj => proj;

    /// <summary>The BatchNorm after it.</summary>
    public BatchNorm2d Norm => norm;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        return scope.MoveToOuter(norm.call(proj.call(input)).permute(0, 2, 3, 1));
    }
}

/// <summary>
/// iFormer's stem: 3x3 stride-2 convolution to half the width, BatchNorm, GELU, 3x3 stride-2 convolution, BatchNorm
/// (<c>proj1, norm1, gelu1, proj2, norm2</c>); NCHW in, NHWC out.
/// </summary>
public sealed class IFormerFirstPatchEmbed : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d proj1;
    private readonly BatchNorm2d norm1;
    private readonly Conv2d proj2;
    private readonly BatchNorm2d norm2;

    /// <summary>Creates the stem from <paramref name="inChannels"/> to <paramref name="dim"/> channels.</summary>
    public IFormerFirstPatchEmbed(int inChannels, int dim) : base(nameof(IFormerFirstPatchEmbed))
    {
        proj1 = nn.Conv2d(inChannels, dim / 2, 3, stride: 2, padding: 1);
        norm1 = nn.BatchNorm2d(dim / 2);
        proj2 = nn.Conv2d(dim / 2, dim, 3, stride: 2, padding: 1);
        norm2 = nn.BatchNorm2d(dim);
        register_module("proj1", proj1);
        register_module("norm1", norm1);
        register_module("gelu1", nn.GELU());
        register_module("proj2", proj2);
        register_module("norm2", norm2);
    }

    /// <summary>The first convolution.</summary>
    public Conv2d Proj1 => proj1;

    /// <summary>The BatchNorm after the first convolution.</summary>
    public BatchNorm2d Norm1 => norm1;

    /// <summary>The second convolution.</summary>
    public Conv2d Proj2 => proj2;

    /// <summary>The BatchNorm after the second convolution.</summary>
    public BatchNorm2d Norm2 => norm2;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var x = nn.functional.gelu(norm1.call(proj1.call(input)));
        return scope.MoveToOuter(norm2.call(proj2.call(x)).permute(0, 2, 3, 1));
    }
}
