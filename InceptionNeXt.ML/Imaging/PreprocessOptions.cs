namespace InceptionNeXt.ML.Imaging;

/// <summary>
/// timm's evaluation transform (<c>transforms_imagenet_eval</c> with crop_mode "center"):
/// <c>Resize(floor(InputSize / CropPct), Interpolation)</c> on the shorter side, <c>CenterCrop(InputSize)</c>,
/// <c>ToTensor()</c>, <c>Normalize(Mean, Std)</c>.
/// </summary>
public sealed record PreprocessOptions
{
    /// <summary>The ImageNet mean timm uses (IMAGENET_DEFAULT_MEAN).</summary>
    public static IReadOnlyList<float> ImageNetMean { get; } = [0.485f, 0.456f, 0.406f];

    /// <summary>The ImageNet standard deviation timm uses (IMAGENET_DEFAULT_STD).</summary>
    public static IReadOnlyList<float> ImageNetStd { get; } = [0.229f, 0.224f, 0.225f];

    /// <summary>The InceptionNeXt defaults: 224, crop 0.875, bicubic, ImageNet mean/std.</summary>
    public static PreprocessOptions Default { get; } = new();

    /// <summary>Side of the square model input, in pixels (default 224).</summary>
    public int InputSize { get; init; } = 224;

    /// <summary>Center-crop fraction (default 0.875): the shorter side is first resized to floor(InputSize / CropPct).</summary>
    public double CropPct { get; init; } = 0.875;

    /// <summary>Resize filter (default bicubic, as timm's InceptionNeXt configs).</summary>
    public ResamplingFilter Interpolation { get; init; } = ResamplingFilter.Bicubic;

    /// <summary>Per-channel (R, G, B) mean subtracted after scaling to 0..1.</summary>
    public IReadOnlyList<float> Mean { get; init; } = ImageNetMean;

    /// <summary>Per-channel (R, G, B) standard deviation divided by after subtracting the mean.</summary>
    public IReadOnlyList<float> Std { get; init; } = ImageNetStd;

    /// <summary>
    /// True (default): values are <c>(v / 255 - mean) / std</c>. False: raw 0..255 values, for models whose
    /// graph embeds the normalisation; <see cref="Mean"/> and <see cref="Std"/> are then unused.
    /// </summary>
    public bool Normalize { get; init; } = true;

    /// <summary>The shorter-side size before cropping: <c>floor(InputSize / CropPct)</c>.</summary>
    public int ResizeSize => (int)Math.Floor(InputSize / CropPct);

    /// <summary>Throws <see cref="ArgumentException"/> when a setting is out of range.</summary>
    public void Validate()
    {
        if (InputSize < 1)
        {
            throw new ArgumentException($"InputSize must be positive, got {InputSize}.");
        }

        if (!(CropPct > 0) || double.IsInfinity(CropPct))
        {
            throw new ArgumentException($"CropPct must be a positive number, got {CropPct}.");
        }

        if (ResizeSize < 1)
        {
            throw new ArgumentException($"floor(InputSize / CropPct) must be at least 1, got {ResizeSize}.");
        }

        if (Mean is not { Count: 3 } || Std is not { Count: 3 })
        {
            throw new ArgumentException("Mean and Std must have 3 values (R, G, B).");
        }

        if (Normalize && Std.Any(s => !(s != 0) || !float.IsFinite(s)))
        {
            throw new ArgumentException("Std values must be finite and non-zero.");
        }

        if (!Enum.IsDefined(Interpolation))
        {
            throw new ArgumentException($"Unknown interpolation {Interpolation}.");
        }
    }
}
