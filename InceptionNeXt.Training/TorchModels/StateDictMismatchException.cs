namespace InceptionNeXt.Training.TorchModels;

/// <summary>A state dict does not fit a module: lists every missing, unexpected and shape-mismatched key at once.</summary>
public sealed class StateDictMismatchException : Exception
{
    /// <summary>Creates the exception from the three key lists.</summary>
    public StateDictMismatchException(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
        IReadOnlyList<string> shapeMismatches)
        : base(Format(source, missing, unexpected, shapeMismatches))
    {
        Missing = missing;
        Unexpected = unexpected;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>Keys the module has and the state dict lacks.</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>Keys the state dict has and the module lacks.</summary>
    public IReadOnlyList<string> Unexpected { get; }

    /// <summary>Keys present in both with different shapes, each with both shapes.</summary>
    public IReadOnlyList<string> ShapeMismatches { get; }

    private static string Format(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected,
        IReadOnlyList<string> shapeMismatches)
    {
        var lines = new List<string> { $"Error(s) loading state dict from {source}:" };
        if (missing.Count > 0) lines.Add($"  missing keys ({missing.Count}): {Join(missing)}");
        if (unexpected.Count > 0) lines.Add($"  unexpected keys ({unexpected.Count}): {Join(unexpected)}");
        if (shapeMismatches.Count > 0) lines.Add($"  shape mismatches ({shapeMismatches.Count}): {Join(shapeMismatches)}");
        if (shapeMismatches.Any(s => s.StartsWith("head.", StringComparison.Ordinal)))
            lines.Add("  (the classifier differs: pass a matching --num-classes, or re-initialise the head for transfer learning)");
        return string.Join(Environment.NewLine, lines);
    }

    private static string Join(IReadOnlyList<string> keys) =>
        keys.Count <= 40 ? string.Join(", ", keys) : string.Join(", ", keys.Take(40)) + $", ... ({keys.Count - 40} more)";
}


/// <summary>What a non-strict state-dict load skipped.</summary>
/// <param name="Missing">Keys the module has and the state dict lacks.</param>
/// <param name="Unexpected">Keys the state dict has and the module lacks.</param>
/// <param name="ShapeMismatches">Keys whose shapes differ (not loaded).</param>
public sealed record LoadStateDictResult(IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<string> ShapeMismatches);
