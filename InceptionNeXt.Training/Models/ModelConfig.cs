using System.Text.Json;
using System.Text.Json.Serialization;

namespace InceptionNeXt.Training.Models;

/// <summary>Architecture families of the zoo.</summary>
public enum ModelFamily
{
    /// <summary>InceptionNeXt (timm's MetaNeXt with the Inception depthwise token mixer).</summary>
    InceptionNeXt,
    /// <summary>ConvNeXt, the paper's baseline, in timm's layout.</summary>
    ConvNeXt,
    /// <summary>iFormer (Inception Transformer, NeurIPS 2022) in the official sail-sg/iFormer layout.</summary>
    IFormer,
}

/// <summary>
/// Everything that defines an architecture. Immutable: derive variants with <c>with</c>
/// (e.g. <c>config with { NumClasses = 10, StemStride = 2 }</c>). JSON names are the reference
/// implementation's (tools/reference/metanext_ref.py).
/// </summary>
public sealed record ModelConfig
{
    /// <summary>Registry name, e.g. <c>inceptionnext_tiny</c>.</summary>
    [JsonIgnore] public string Name { get; init; } = "";
    /// <summary>Architecture family.</summary>
    [JsonPropertyName("family"), JsonConverter(typeof(FamilyConverter))] public ModelFamily Family { get; init; }
    /// <summary>Blocks per stage.</summary>
    [JsonPropertyName("depths")] public int[] Depths { get; init; } = [];
    /// <summary>Channels per stage.</summary>
    [JsonPropertyName("dims")] public int[] Dims { get; init; } = [];
    /// <summary>Classifier outputs (0 = no classifier; the head returns pre-logits).</summary>
    [JsonPropertyName("num_classes")] public int NumClasses { get; init; } = 1000;
    /// <summary>Input channels.</summary>
    [JsonPropertyName("in_chans")] public int InChannels { get; init; } = 3;
    /// <summary>Stem stride: 4 (ImageNet), or 2 / 1 for 28-64 px images.</summary>
    [JsonPropertyName("stem_stride")] public int StemStride { get; init; } = 4;
    /// <summary>Dropout before the final classifier layer.</summary>
    [JsonPropertyName("drop_rate")] public double DropRate { get; init; }
    /// <summary>Stochastic depth rate of the last block (rises linearly from 0).</summary>
    [JsonPropertyName("drop_path_rate")] public double DropPathRate { get; init; }
    /// <summary>Initial layer-scale value (<c>gamma</c>).</summary>
    [JsonPropertyName("ls_init_value")] public double LayerScaleInit { get; init; } = 1e-6;
    /// <summary>MLP expansion per stage.</summary>
    [JsonPropertyName("mlp_ratios")] public double[] MlpRatios { get; init; } = [];
    /// <summary>InceptionNeXt: square branch kernel.</summary>
    [JsonPropertyName("square_kernel_size")] public int SquareKernelSize { get; init; } = 3;
    /// <summary>InceptionNeXt: band branch kernel (1xk and kx1).</summary>
    [JsonPropertyName("band_kernel_size")] public int BandKernelSize { get; init; } = 11;
    /// <summary>InceptionNeXt: fraction of channels in each convolution branch.</summary>
    [JsonPropertyName("branch_ratio")] public double BranchRatio { get; init; } = 0.125;
    /// <summary>ConvNeXt: depthwise kernel size.</summary>
    [JsonPropertyName("kernel_size")] public int KernelSize { get; init; } = 7;
    /// <summary>ConvNeXt: fraction of channels that go through the depthwise conv (1 = all; the paper's par variants).</summary>
    [JsonPropertyName("partial_ratio")] public double PartialRatio { get; init; } = 1.0;
    /// <summary>ConvNeXt: MLP as 1x1 convs on NCHW with LayerNorm2d (atto..nano) instead of linear on NHWC.</summary>
    [JsonPropertyName("conv_mlp")] public bool ConvMlp { get; init; }
    /// <summary>
    /// Isotropic layout (ConvNeXt paper section 3.3, <c>convnext_isotropic.py</c>): a patchify stem with kernel and stride
    /// <see cref="StemStride"/> (2-16), one stage of blocks at constant resolution, final LayerNorm and linear head
    /// (<see cref="TorchModels.IsotropicModel"/>). The family picks the block's spatial mixer.
    /// </summary>
    [JsonPropertyName("isotropic")] public bool Isotropic { get; init; }

    /// <summary>iFormer: attention heads of the full mixer width per stage (the head dimension is <c>dims[s] / num_heads[s]</c>).</summary>
    [JsonPropertyName("num_heads")] public int[] NumHeads { get; init; } = [];
    /// <summary>
    /// iFormer: per block (all stages, in order), how many heads go to the low-frequency (attention) mixer; the rest of
    /// the channels go to the high-frequency (max-pool and depthwise-conv) mixer.
    /// </summary>
    [JsonPropertyName("attention_heads")] public int[] AttentionHeads { get; init; } = [];
    /// <summary>
    /// iFormer: the image size the positional embeddings are laid out for (<c>img_size</c>: grids of img_size/4, /8, /16,
    /// /32); other input sizes resize them bilinearly, as the official code does.
    /// </summary>
    [JsonPropertyName("img_size")] public int PosEmbedSize { get; init; } = 224;

    /// <summary>Default evaluation preprocessing of the variant.</summary>
    [JsonIgnore] public PreprocessingConfig Preprocessing { get; init; } = PreprocessingConfig.ImageNet;

    /// <summary>Checks the values and throws an <see cref="ArgumentException"/> naming the wrong one.</summary>
    public void Validate()
    {
        if (Depths.Length == 0 || Depths.Length != Dims.Length)
            throw new ArgumentException($"{Name}: depths ({Depths.Length}) and dims ({Dims.Length}) must be non-empty and of equal length.");
        if (MlpRatios.Length != Depths.Length)
            throw new ArgumentException($"{Name}: mlp_ratios has {MlpRatios.Length} entries for {Depths.Length} stages.");
        if (Depths.Any(d => d < 1) || Dims.Any(d => d < 1))
            throw new ArgumentException($"{Name}: depths and dims must be positive.");
        if (NumClasses < 0) throw new ArgumentException($"{Name}: num_classes must be >= 0 (0 = no classifier).");
        if (InChannels < 1) throw new ArgumentException($"{Name}: in_chans must be >= 1.");
        if (Isotropic)
        {
            if (Depths.Length != 1) throw new ArgumentException($"{Name}: an isotropic model has one stage, not {Depths.Length}.");
            if (StemStride is not (2 or 4 or 8 or 16))
                throw new ArgumentException($"{Name}: an isotropic model's patch size (stem_stride) must be 16, 8, 4 or 2, not {StemStride}.");
            if (Family == ModelFamily.ConvNeXt && (PartialRatio < 1 || ConvMlp))
                throw new ArgumentException($"{Name}: isotropic ConvNeXt has a full depthwise conv and a linear MLP (partial_ratio 1, conv_mlp false).");
        }
        else if (StemStride is not (1 or 2 or 4)) throw new ArgumentException($"{Name}: stem_stride must be 4, 2 or 1, not {StemStride}.");
        if (DropRate is < 0 or >= 1) throw new ArgumentException($"{Name}: drop_rate must be in [0, 1).");
        if (DropPathRate is < 0 or >= 1) throw new ArgumentException($"{Name}: drop_path_rate must be in [0, 1).");
        if (Family == ModelFamily.IFormer) ValidateIFormer();
        else if (Family == ModelFamily.InceptionNeXt)
        {
            if (BandKernelSize < 1 || BandKernelSize % 2 == 0 || SquareKernelSize < 1 || SquareKernelSize % 2 == 0)
                throw new ArgumentException($"{Name}: band and square kernel sizes must be odd and positive.");
            if (BranchRatio is <= 0 or > 1.0 / 3)
                throw new ArgumentException($"{Name}: branch_ratio must be in (0, 1/3].");
            if (Dims.Any(d => (int)(d * BranchRatio) < 1))
                throw new ArgumentException($"{Name}: branch_ratio {BranchRatio} leaves no channels in a branch for dims [{string.Join(", ", Dims)}].");
        }
        else
        {
            if (KernelSize < 1 || KernelSize % 2 == 0) throw new ArgumentException($"{Name}: kernel_size must be odd and positive.");
            if (PartialRatio is <= 0 or > 1) throw new ArgumentException($"{Name}: partial_ratio must be in (0, 1].");
        }
    }

    private void ValidateIFormer()
    {
        if (Depths.Length != 4) throw new ArgumentException($"{Name}: iFormer has four stages, not {Depths.Length}.");
        if (StemStride != 4) throw new ArgumentException($"{Name}: iFormer's stem has stride 4 (two stride-2 convolutions), not {StemStride}.");
        if (NumHeads.Length != 4) throw new ArgumentException($"{Name}: num_heads needs one entry per stage.");
        if (AttentionHeads.Length != Depths.Sum())
            throw new ArgumentException($"{Name}: attention_heads has {AttentionHeads.Length} entries for {Depths.Sum()} blocks.");
        if (PosEmbedSize < 32 || PosEmbedSize % 32 != 0) throw new ArgumentException($"{Name}: img_size must be a positive multiple of 32.");
        var block = 0;
        for (var s = 0; s < 4; s++)
        {
            if (NumHeads[s] < 1 || Dims[s] % NumHeads[s] != 0)
                throw new ArgumentException($"{Name}: dims[{s}] = {Dims[s]} is not a multiple of num_heads[{s}] = {NumHeads[s]}.");
            var headDim = Dims[s] / NumHeads[s];
            for (var j = 0; j < Depths[s]; j++, block++)
            {
                var high = Dims[s] - (AttentionHeads[block] * headDim);
                if (AttentionHeads[block] < 1 || high < 2 || high % 2 != 0)
                    throw new ArgumentException($"{Name}: attention_heads[{block}] = {AttentionHeads[block]} must leave an even, non-zero " +
                                                $"number of high-frequency channels in stage {s} ({Dims[s]} channels, {NumHeads[s]} heads).");
            }
        }
    }

    /// <summary>Smallest input side the network accepts (each downsampling needs at least one output pixel).</summary>
    [JsonIgnore] public int MinInputSize => StemStride * (1 << (Depths.Length - 1));

    /// <summary>The config as the reference implementation's JSON (only the keys of its family).</summary>
    public string ToJson()
    {
        var keys = new Dictionary<string, object>
        {
            ["family"] = FamilyConverter.Name(Family),
            ["depths"] = Depths,
            ["dims"] = Dims,
            ["num_classes"] = NumClasses,
            ["in_chans"] = InChannels,
        };
        // iFormer's stem is fixed (stride 4), so its JSON has no stem_stride; the other families keep their key order.
        if (Family != ModelFamily.IFormer) keys["stem_stride"] = StemStride;
        keys["drop_rate"] = DropRate;
        keys["drop_path_rate"] = DropPathRate;
        keys["ls_init_value"] = LayerScaleInit;
        keys["mlp_ratios"] = MlpRatios;
        if (Family == ModelFamily.IFormer)
        {
            keys["num_heads"] = NumHeads;
            keys["attention_heads"] = AttentionHeads;
            keys["img_size"] = PosEmbedSize;
        }
        else if (Family == ModelFamily.InceptionNeXt)
        {
            keys["square_kernel_size"] = SquareKernelSize;
            keys["band_kernel_size"] = BandKernelSize;
            keys["branch_ratio"] = BranchRatio;
        }
        else
        {
            keys["kernel_size"] = KernelSize;
            keys["partial_ratio"] = PartialRatio;
            keys["conv_mlp"] = ConvMlp;
        }
        if (Isotropic) keys["isotropic"] = true;
        return JsonSerializer.Serialize(keys);
    }

    /// <summary>Reads a config written by <see cref="ToJson"/>.</summary>
    public static ModelConfig FromJson(string json) =>
        JsonSerializer.Deserialize<ModelConfig>(json) ?? throw new ArgumentException("empty model config JSON");

    private sealed class FamilyConverter : JsonConverter<ModelFamily>
    {
        public override ModelFamily Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.GetString() switch
            {
                "inceptionnext" => ModelFamily.InceptionNeXt,
                "convnext" => ModelFamily.ConvNeXt,
                "iformer" => ModelFamily.IFormer,
                var other => throw new JsonException($"unknown model family '{other}'"),
            };

        public override void Write(Utf8JsonWriter writer, ModelFamily value, JsonSerializerOptions options) =>
            writer.WriteStringValue(Name(value));

        public static string Name(ModelFamily family) => family switch
        {
            ModelFamily.InceptionNeXt => "inceptionnext",
            ModelFamily.ConvNeXt => "convnext",
            ModelFamily.IFormer => "iformer",
            _ => throw new ArgumentOutOfRangeException(nameof(family), family, "unknown family"),
        };
    }
}

/// <summary>The evaluation transform a variant was trained with (timm's pretrained cfg).</summary>
/// <param name="InputSize">Square input side in pixels.</param>
/// <param name="CropPct">Center-crop fraction: resize to size / crop_pct, then crop.</param>
/// <param name="Interpolation">Resize filter name (bicubic, bilinear).</param>
/// <param name="Mean">Per-channel mean of 0..1 pixels.</param>
/// <param name="Std">Per-channel standard deviation of 0..1 pixels.</param>
public sealed record PreprocessingConfig(int InputSize, double CropPct, string Interpolation, float[] Mean, float[] Std)
{
    /// <summary>ImageNet at 224 px, crop 0.875, bicubic.</summary>
    public static PreprocessingConfig ImageNet { get; } =
        new(224, 0.875, "bicubic", [0.485f, 0.456f, 0.406f], [0.229f, 0.224f, 0.225f]);
}
