namespace InceptionNeXt.Training.Models;

/// <summary>The zoo: named variants of every family, created by name with optional overrides.</summary>
public static class ModelRegistry
{
    private static readonly Dictionary<string, ModelConfig> Configs =
        InceptionNeXtModel.Variants().Concat(ConvNeXtModel.Variants()).ToDictionary(c => c.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every registered variant name, in registration order.</summary>
    public static IReadOnlyList<string> Names { get; } =
        InceptionNeXtModel.Variants().Concat(ConvNeXtModel.Variants()).Select(c => c.Name).ToArray();

    /// <summary>The config of a variant.</summary>
    /// <exception cref="ArgumentException">No such variant; the message lists the known ones.</exception>
    public static ModelConfig GetConfig(string name) =>
        Configs.TryGetValue(name, out var config)
            ? config
            : throw new ArgumentException($"Unknown model '{name}'. Known models: {string.Join(", ", Names)}.", nameof(name));

    /// <summary>Creates a variant, optionally changing its config (class count, stem stride, drop path, ablation knobs).</summary>
    public static ImageClassifier Create(string name, Func<ModelConfig, ModelConfig>? configure = null) =>
        Create(configure is null ? GetConfig(name) : configure(GetConfig(name)));

    /// <summary>Creates a model from a full config.</summary>
    public static ImageClassifier Create(ModelConfig config) => config.Family switch
    {
        ModelFamily.InceptionNeXt => new InceptionNeXtModel(config),
        ModelFamily.ConvNeXt => new ConvNeXtModel(config),
        _ => throw new ArgumentOutOfRangeException(nameof(config), config.Family, "unknown family"),
    };
}
