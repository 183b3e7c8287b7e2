namespace InceptionNeXt.ElfVersionPatcher;

/// <summary>One <c>Elf64_Vernaux</c> entry: object <paramref name="File"/> must define version <paramref name="Name"/>.</summary>
/// <param name="File">The needed library, e.g. <c>libstdc++.so.6</c>.</param>
/// <param name="Name">The version, e.g. <c>GLIBCXX_3.4.32</c>.</param>
/// <param name="Flags"><c>vna_flags</c>; bit 0x2 (VER_FLG_WEAK) makes a missing version a non-fatal condition for the loader.</param>
/// <param name="Index"><c>vna_other</c>: the version index symbols refer to in <c>.gnu.version</c>.</param>
/// <param name="FlagsOffset">File offset of <c>vna_flags</c>.</param>
public sealed record VersionNeed(string File, string Name, ushort Flags, ushort Index, int FlagsOffset)
{
    /// <summary>VER_FLG_WEAK.</summary>
    public const ushort WeakFlag = 0x2;

    /// <summary>Whether the need is marked weak.</summary>
    public bool IsWeak => (Flags & WeakFlag) != 0;
}
