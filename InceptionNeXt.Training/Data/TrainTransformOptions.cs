using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.Training.Data;

/// <summary>
/// Settings of <see cref="TrainTransform"/>, named after timm's <c>create_transform(is_training=True)</c> arguments;
/// defaults are timm's (for ImageNet at 224).
/// </summary>
public sealed record TrainTransformOptions
{
    /// <summary>Output side (timm <c>input_size</c>).</summary>
    public int ImageSize { get; init; } = 224;

    /// <summary>RandomResizedCrop area fraction range (timm <c>scale</c>); e.g. (0.35, 1) for 28-pixel images.</summary>
    public (double Min, double Max) Scale { get; init; } = (0.08, 1.0);

    /// <summary>RandomResizedCrop aspect ratio range (timm <c>ratio</c>).</summary>
    public (double Min, double Max) Ratio { get; init; } = (3.0 / 4.0, 4.0 / 3.0);

    /// <summary>Horizontal flip probability (timm <c>hflip</c>).</summary>
    public double HFlip { get; init; } = 0.5;

    /// <summary>Colour jitter strength for brightness, contrast and saturation (timm <c>color_jitter</c>; 0: off). Disabled when <see cref="AutoAugment"/> is set, as in timm.</summary>
    public double ColorJitter { get; init; } = 0.4;

    /// <summary>RandAugment config such as "rand-m9-mstd0.5-inc1" (timm <c>auto_augment</c>); null: off.</summary>
    public string? AutoAugment { get; init; }

    /// <summary>Random erasing probability (timm <c>re_prob</c>; 0: off).</summary>
    public double ReProb { get; init; }

    /// <summary>Random erasing fill (timm <c>re_mode</c>, default 'pixel').</summary>
    public ErasingMode ReMode { get; init; } = ErasingMode.Pixel;

    /// <summary>Random erasing rectangles per erased sample (timm <c>re_count</c>).</summary>
    public int ReCount { get; init; } = 1;

    /// <summary>Crop resampling filter; null: timm's 'random' (bilinear or bicubic per sample).</summary>
    public ResamplingFilter? Interpolation { get; init; }

    /// <summary>Normalisation mean per channel.</summary>
    public IReadOnlyList<float> Mean { get; init; } = PreprocessOptions.ImageNetMean;

    /// <summary>Normalisation std per channel.</summary>
    public IReadOnlyList<float> Std { get; init; } = PreprocessOptions.ImageNetStd;

    /// <summary>Throws <see cref="ArgumentException"/> for out-of-range settings.</summary>
    public void Validate()
    {
        if (ImageSize < 1)
        {
            throw new ArgumentException($"ImageSize must be positive, got {ImageSize}.");
        }

        if (Mean.Count != 3 || Std.Count != 3 || Std.Any(s => !(s > 0)))
        {
            throw new ArgumentException("Mean and Std need 3 values each, Std positive.");
        }

        if (HFlip is < 0 or > 1 || ReProb is < 0 or > 1 || ColorJitter < 0 || ReCount < 1)
        {
            throw new ArgumentException($"Out of range: HFlip {HFlip}, ReProb {ReProb}, ColorJitter {ColorJitter}, ReCount {ReCount}.");
        }
    }
}
