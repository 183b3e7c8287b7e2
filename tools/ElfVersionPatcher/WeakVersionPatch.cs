namespace InceptionNeXt.ElfVersionPatcher;

/// <summary>What <see cref="WeakVersionPatch.Plan"/> decided.</summary>
public enum PatchDecision
{
    /// <summary>The library defines every version the object needs: leave it alone.</summary>
    NotNeeded,
    /// <summary>Some versions are missing, but no relocation uses their symbols: marking them weak makes the object load.</summary>
    Patch,
    /// <summary>A missing version has a symbol that is really bound at load time: a weak mark would only move the failure.</summary>
    Unpatchable,
}

/// <summary>The decision, the versions it concerns and a sentence for the build log.</summary>
/// <param name="Decision">What to do.</param>
/// <param name="Missing">Needed versions the library does not define (and that are not already weak).</param>
/// <param name="Message">What was found, for the build log.</param>
public sealed record PatchPlan(PatchDecision Decision, IReadOnlyList<VersionNeed> Missing, string Message);

/// <summary>
/// Marks as weak (VER_FLG_WEAK in <c>vna_flags</c>) the version needs on a library that the library does not define,
/// when no relocation refers to a symbol of those versions. glibc's loader then accepts the object: a weak version
/// need that is missing is not an error, and a symbol no relocation names is never looked up. This is exactly
/// TorchSharp 0.107's case on Debian 12: GCC 13 tags every object with a need for GLIBCXX_3.4.32 through the marker
/// symbol <c>std::ios_base_library_init()</c>, which nothing calls.
/// </summary>
public static class WeakVersionPatch
{
    /// <summary>Decides for <paramref name="target"/>'s needs on <paramref name="library"/> (matched by soname prefix,
    /// e.g. <c>libstdc++.so.6</c>) given the versions the machine's copy defines.</summary>
    public static PatchPlan Plan(ElfFile target, string library, IReadOnlySet<string> defined)
    {
        var missing = target.VersionNeeds()
            .Where(n => n.File == library && !n.IsWeak && !defined.Contains(n.Name))
            .ToList();
        if (missing.Count == 0) return new PatchPlan(PatchDecision.NotNeeded, missing, $"{library} defines every version needed");

        var symbols = target.DynamicSymbols();
        var relocated = target.RelocatedSymbolIndices();
        foreach (var need in missing)
        {
            var bound = Enumerable.Range(0, symbols.Count)
                .Where(i => symbols[i].VersionIndex == need.Index && relocated.Contains(i))
                .Select(i => symbols[i].Name)
                .ToList();
            if (bound.Count > 0)
                return new PatchPlan(PatchDecision.Unpatchable, missing,
                    $"{library} lacks {need.Name}, and relocations use its symbols ({string.Join(", ", bound.Take(5))}): a newer {library} is needed");
        }
        return new PatchPlan(PatchDecision.Patch, missing,
            $"{library} lacks {string.Join(", ", missing.Select(m => m.Name))}, used by no relocation: marked weak");
    }

    /// <summary>A copy of <paramref name="target"/>'s bytes with the plan's missing versions marked weak.</summary>
    public static byte[] Apply(ElfFile target, PatchPlan plan)
    {
        if (plan.Decision != PatchDecision.Patch) throw new InvalidOperationException($"nothing to apply: {plan.Decision}");
        var copy = target.Bytes.ToArray();
        foreach (var need in plan.Missing)
        {
            var flags = (ushort)(need.Flags | VersionNeed.WeakFlag);
            copy[need.FlagsOffset] = (byte)flags;
            copy[need.FlagsOffset + 1] = (byte)(flags >> 8);
        }
        return copy;
    }
}
