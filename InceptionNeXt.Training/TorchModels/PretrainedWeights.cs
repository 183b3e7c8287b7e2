using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.Models;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// Loads checkpoints (safetensors, PyTorch .pth, timm or the official repos' layouts) into the zoo's TorchSharp models,
/// strictly by default, optionally with a new classifier for transfer learning.
/// </summary>
public static class PretrainedWeights
{
    /// <summary>
    /// Creates <paramref name="modelName"/> with the weights in <paramref name="path"/>. The class count is taken
    /// from the checkpoint unless <paramref name="numClasses"/> asks for another, in which case the classifier is
    /// freshly initialised and everything else is loaded strictly. <paramref name="newHead"/> re-initialises the
    /// classifier even when the count matches (new classes that happen to be as many as the old ones).
    /// </summary>
    public static ImageClassifier Create(string modelName, string path, int? numClasses = null,
        Func<ModelConfig, ModelConfig>? configure = null, bool newHead = false)
    {
        var stateDict = Read(path);
        var config = ModelRegistry.GetConfig(modelName);
        if (configure is not null) config = configure(config);
        using (var probe = Structure(config))
        {
            var weightsClasses = ClassifierRows(stateDict, probe.ClassifierName);
            config = config with { NumClasses = weightsClasses ?? config.NumClasses };
        }
        var model = TorchModelRegistry.Create(config);
        try
        {
            LoadInto(model, stateDict, path, numClasses, newHead);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Loads <paramref name="path"/> into <paramref name="model"/>; see <see cref="LoadInto(ImageClassifier, StateDict, string, int?, bool)"/>.</summary>
    public static void LoadInto(ImageClassifier model, string path, int? numClasses = null) =>
        LoadInto(model, Read(path), path, numClasses);

    /// <summary>
    /// Loads a state dict strictly. When <paramref name="numClasses"/> is given and differs from the checkpoint's
    /// classifier, or <paramref name="newHead"/> is set, the checkpoint's classifier is ignored and the model gets a
    /// fresh one with that many outputs.
    /// </summary>
    /// <exception cref="StateDictMismatchException">Keys or shapes (other than a re-initialised classifier) differ.</exception>
    public static void LoadInto(ImageClassifier model, StateDict stateDict, string source, int? numClasses = null, bool newHead = false)
    {
        var classifier = model.ClassifierName + ".";
        var rows = ClassifierRows(stateDict, model.ClassifierName);
        if (rows is { } have && (numClasses is { } w && w != have || newHead))
        {
            var wanted = numClasses ?? have;
            var trimmed = new StateDict();
            foreach (var (name, value) in stateDict)
                if (!name.StartsWith(classifier, StringComparison.Ordinal)) trimmed.Add(name, value);
            model.ResetClassifier(wanted);
            var result = model.LoadStateDict(trimmed, strict: false, source);
            var missing = result.Missing.Where(k => !k.StartsWith(classifier, StringComparison.Ordinal)).ToList();
            if (missing.Count > 0 || result.Unexpected.Count > 0 || result.ShapeMismatches.Count > 0)
                throw new StateDictMismatchException(source, missing, result.Unexpected, result.ShapeMismatches);
            return;
        }
        model.LoadStateDict(stateDict, strict: true, source);
    }

    /// <summary>Reads a checkpoint and converts known foreign layouts to timm names.</summary>
    public static StateDict Read(string path) => CheckpointLayouts.ToTimm(Checkpoint.LoadStateDict(path));

    private static int? ClassifierRows(StateDict stateDict, string classifierName) =>
        stateDict.TryGet(classifierName + ".weight", out var w) && w.Rank == 2 ? (int)w.Shape[0] : null;

    private static ImageClassifier Structure(ModelConfig config) => TorchModelRegistry.CreateOnMeta(config);
}
