using InceptionNeXt.Training.Models;
using TorchSharp;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>Creates the zoo's variants (<see cref="ModelRegistry"/>'s names and configs) as TorchSharp modules.</summary>
public static class TorchModelRegistry
{
    /// <summary>Creates a variant, optionally changing its config (class count, stem stride, drop path, ablation knobs).</summary>
    /// <exception cref="ArgumentException">No such variant; the message lists the known ones.</exception>
    public static ImageClassifier Create(string name, Func<ModelConfig, ModelConfig>? configure = null) =>
        Create(configure is null ? ModelRegistry.GetConfig(name) : configure(ModelRegistry.GetConfig(name)));

    /// <summary>Creates a model from a full config.</summary>
    public static ImageClassifier Create(ModelConfig config) => config.Isotropic ? new IsotropicModel(config) : config.Family switch
    {
        ModelFamily.InceptionNeXt => new InceptionNeXtModel(config),
        ModelFamily.ConvNeXt => new ConvNeXtModel(config),
        ModelFamily.IFormer => new IFormerModel(config),
        _ => throw new ArgumentOutOfRangeException(nameof(config), config.Family, "unknown family"),
    };

    /// <summary>
    /// Creates a model whose tensors live on the meta device: shapes and names without memory or initialisation cost
    /// (parameter counts, checkpoint structure). It cannot compute.
    /// </summary>
    public static ImageClassifier CreateOnMeta(ModelConfig config)
    {
        Engine.TorchEngine.EnsureInitialized();
        var previous = torch.get_default_device();
        torch.set_default_device(torch.META);
        try
        {
            return Create(config);
        }
        finally
        {
            torch.set_default_device(previous);
        }
    }
}
