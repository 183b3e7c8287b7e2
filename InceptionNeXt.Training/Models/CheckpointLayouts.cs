using System.Text.RegularExpressions;
using InceptionNeXt.Training.Checkpoints;

namespace InceptionNeXt.Training.Models;

/// <summary>
/// Renames state dicts saved by the official ConvNeXt repository (and the InceptionNeXt repo's ConvNeXt ablations),
/// whose layout is <c>downsample_layers.N</c> / <c>stages.N.M.dwconv</c> / <c>pwconv1</c> / <c>head</c>, to timm's names.
/// InceptionNeXt's official checkpoints already use timm's names and pass through unchanged.
/// </summary>
public static partial class CheckpointLayouts
{
    /// <summary>Returns the state dict with timm names (the same instance when no renaming is needed).</summary>
    public static StateDict ToTimm(StateDict stateDict)
    {
        if (!stateDict.Keys.Any(k => k.StartsWith("downsample_layers.", StringComparison.Ordinal))) return stateDict;
        var result = new StateDict();
        foreach (var (name, value) in stateDict)
        {
            var (newName, newValue) = Rename(name, value);
            result.Add(newName, newValue);
        }
        foreach (var (k, v) in stateDict.Metadata) result.Metadata[k] = v;
        return result;
    }

    private static (string, TensorData) Rename(string name, TensorData value)
    {
        var m = Downsample().Match(name);
        if (m.Success)
        {
            var stage = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var prefix = stage == 0 ? "stem." : $"stages.{stage}.downsample.";
            return (prefix + m.Groups[2].Value + m.Groups[3].Value, value);
        }
        m = Block().Match(name);
        if (m.Success)
        {
            var rest = m.Groups[3].Value
                .Replace("dwconv", "conv_dw", StringComparison.Ordinal)
                .Replace("pwconv1", "mlp.fc1", StringComparison.Ordinal)
                .Replace("pwconv2", "mlp.fc2", StringComparison.Ordinal);
            return ($"stages.{m.Groups[1].Value}.blocks.{m.Groups[2].Value}.{rest}", value);
        }
        if (name.StartsWith("norm.", StringComparison.Ordinal)) return ("head." + name, value);
        if (name.StartsWith("head.", StringComparison.Ordinal)) return ("head.fc." + name["head.".Length..], value);
        return (name, value);
    }

    [GeneratedRegex(@"^downsample_layers\.(\d+)\.(\d+)(\..+)$")]
    private static partial Regex Downsample();

    [GeneratedRegex(@"^stages\.(\d+)\.(\d+)\.(.+)$")]
    private static partial Regex Block();
}
