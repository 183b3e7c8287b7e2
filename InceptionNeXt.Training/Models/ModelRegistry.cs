namespace InceptionNeXt.Training.Models;

/// <summary>
/// The zoo: the configs of every family's named variants (<see cref="TorchModels.TorchModelRegistry"/> builds them).
/// </summary>
public static class ModelRegistry
{
    private static readonly Dictionary<string, ModelConfig> Configs =
        InceptionNeXtVariants().Concat(ConvNeXtVariants()).Concat(IsotropicVariants()).Concat(IFormerVariants()).ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every registered variant name, in registration order.</summary>
    public static IReadOnlyList<string> Names { get; } =
        InceptionNeXtVariants().Concat(ConvNeXtVariants()).Concat(IsotropicVariants()).Concat(IFormerVariants()).Select(c => c.Name).ToArray();

    /// <summary>The config of a variant.</summary>
    /// <exception cref="ArgumentException">No such variant; the message lists the known ones.</exception>
    public static ModelConfig GetConfig(string name) =>
        Configs.TryGetValue(name, out var config)
            ? config
            : throw new ArgumentException($"Unknown model '{name}'.{Suggestion(name)} Known models: {string.Join(", ", Names)}.", nameof(name));

    /// <summary>" Did you mean 'x'?" for the known name(s) closest to <paramref name="name"/> by edit distance, or "".</summary>
    internal static string Suggestion(string name)
    {
        var lower = (name ?? "").ToLowerInvariant();
        var scored = Names.Select(n => (Name: n, Distance: EditDistance(lower, n.ToLowerInvariant()))).ToList();
        var bestDistance = scored.Min(x => x.Distance);
        // Close enough to be a typo: at most a third of the name wrong (at least 2 edits allowed).
        if (bestDistance > Math.Max(2, lower.Length / 3)) return "";
        var best = scored.Where(x => x.Distance == bestDistance).Select(x => $"'{x.Name}'").Take(3).ToList();
        return $" Did you mean {string.Join(" or ", best)}?";
    }

    // Levenshtein distance.
    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    /// <summary>The InceptionNeXt variants (timm's <c>inception_next_*</c> plus the ablation knobs as options).</summary>
    private static IEnumerable<ModelConfig> InceptionNeXtVariants()
    {
        var baseConfig = new ModelConfig { Family = ModelFamily.InceptionNeXt, MlpRatios = [4, 4, 4, 3] };
        yield return baseConfig with { Name = "inceptionnext_atto", Depths = [2, 2, 6, 2], Dims = [40, 80, 160, 320], BandKernelSize = 9, BranchRatio = 0.25 };
        yield return baseConfig with { Name = "inceptionnext_tiny", Depths = [3, 3, 9, 3], Dims = [96, 192, 384, 768] };
        yield return baseConfig with { Name = "inceptionnext_small", Depths = [3, 3, 27, 3], Dims = [96, 192, 384, 768] };
        yield return baseConfig with { Name = "inceptionnext_base", Depths = [3, 3, 27, 3], Dims = [128, 256, 512, 1024] };
        yield return baseConfig with
        {
            Name = "inceptionnext_base_384", Depths = [3, 3, 27, 3], Dims = [128, 256, 512, 1024],
            Preprocessing = PreprocessingConfig.ImageNet with { InputSize = 384, CropPct = 1.0 },
        };
    }

    /// <summary>The ConvNeXt variants: timm's convnext_atto..base and the InceptionNeXt paper's kernel / partial-channel ablations.</summary>
    private static IEnumerable<ModelConfig> ConvNeXtVariants()
    {
        var b = new ModelConfig { Family = ModelFamily.ConvNeXt, MlpRatios = [4, 4, 4, 4] };
        yield return b with { Name = "convnext_atto", Depths = [2, 2, 6, 2], Dims = [40, 80, 160, 320], ConvMlp = true };
        yield return b with { Name = "convnext_femto", Depths = [2, 2, 6, 2], Dims = [48, 96, 192, 384], ConvMlp = true };
        yield return b with { Name = "convnext_pico", Depths = [2, 2, 6, 2], Dims = [64, 128, 256, 512], ConvMlp = true };
        yield return b with { Name = "convnext_nano", Depths = [2, 2, 8, 2], Dims = [80, 160, 320, 640], ConvMlp = true };
        var tiny = b with { Name = "convnext_tiny", Depths = [3, 3, 9, 3], Dims = [96, 192, 384, 768] };
        yield return tiny;
        yield return b with { Name = "convnext_small", Depths = [3, 3, 27, 3], Dims = [96, 192, 384, 768] };
        yield return b with { Name = "convnext_base", Depths = [3, 3, 27, 3], Dims = [128, 256, 512, 1024] };
        yield return tiny with { Name = "convnext_tiny_k5", KernelSize = 5 };
        yield return tiny with { Name = "convnext_tiny_k3", KernelSize = 3 };
        foreach (var (suffix, ratio) in new[] { ("1_2", 0.5), ("3_8", 0.375), ("1_4", 0.25), ("1_8", 0.125), ("1_16", 0.0625) })
            yield return tiny with { Name = $"convnext_tiny_k3_par{suffix}", KernelSize = 3, PartialRatio = ratio };
    }

    /// <summary>
    /// The InceptionNeXt paper's Table 3 isotropic models: ConvNeXt's isotropic design (16x16 patchify stem, 18 blocks at
    /// 1/16 resolution, no layer scale as trained with <c>--layer_scale_init_value 0</c>), with the 7x7 depthwise conv
    /// (ConvNeXt) or the Inception depthwise mixer (InceptionNeXt) as the block's spatial mixer.
    /// </summary>
    private static IEnumerable<ModelConfig> IsotropicVariants()
    {
        var iso = new ModelConfig { Isotropic = true, StemStride = 16, Depths = [18], MlpRatios = [4], LayerScaleInit = 0 };
        yield return iso with { Name = "convnext_isotropic_small", Family = ModelFamily.ConvNeXt, Dims = [384] };
        yield return iso with { Name = "convnext_isotropic_base", Family = ModelFamily.ConvNeXt, Dims = [768] };
        yield return iso with { Name = "inceptionnext_isotropic_small", Family = ModelFamily.InceptionNeXt, Dims = [384] };
        yield return iso with { Name = "inceptionnext_isotropic_base", Family = ModelFamily.InceptionNeXt, Dims = [768] };
    }

    /// <summary>
    /// The iFormer variants of the official repository (sail-sg/iFormer): small, base and large at 224 px, and their
    /// 384 px fine-tuned versions (positional embeddings laid out for 384, crop 1.0). The attention-head share grows with
    /// depth on the official per-block schedule.
    /// </summary>
    private static IEnumerable<ModelConfig> IFormerVariants()
    {
        var b = new ModelConfig
        {
            Family = ModelFamily.IFormer, MlpRatios = [4, 4, 4, 4],
            Preprocessing = PreprocessingConfig.ImageNet with { CropPct = 0.9 },
        };
        var small = b with
        {
            Name = "iformer_small", Depths = [3, 3, 9, 3], Dims = [96, 192, 320, 384], NumHeads = [3, 6, 10, 12],
            AttentionHeads = Heads((3, 1), (3, 3), (4, 7), (5, 9), (3, 11)),
        };
        var @base = b with
        {
            Name = "iformer_base", Depths = [4, 6, 14, 6], Dims = [96, 192, 384, 512], NumHeads = [3, 6, 12, 16],
            AttentionHeads = Heads((4, 1), (6, 3), (7, 8), (7, 10), (6, 15)),
        };
        var large = b with
        {
            Name = "iformer_large", Depths = [4, 6, 18, 8], Dims = [96, 192, 448, 640], NumHeads = [3, 6, 14, 20],
            AttentionHeads = Heads((4, 1), (6, 3), (9, 10), (9, 12), (8, 19)),
        };
        var at384 = PreprocessingConfig.ImageNet with { InputSize = 384, CropPct = 1.0 };
        foreach (var v in new[] { small, @base, large }) yield return v;
        foreach (var v in new[] { small, @base, large })
            yield return v with { Name = v.Name + "_384", PosEmbedSize = 384, Preprocessing = at384 };
    }

    private static int[] Heads(params (int Count, int Heads)[] runs) =>
        runs.SelectMany(r => Enumerable.Repeat(r.Heads, r.Count)).ToArray();
}
