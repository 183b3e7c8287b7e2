using System.Buffers.Binary;
using System.Text;

namespace InceptionNeXt.ElfVersionPatcher;

/// <summary>
/// The parts of a 64-bit little-endian ELF shared object that symbol versioning uses: the section headers, the dynamic
/// symbols with their version indices, the version needs (<c>.gnu.version_r</c>) and definitions
/// (<c>.gnu.version_d</c>), and the relocations' symbol references. Read-only view over a byte array.
/// </summary>
public sealed class ElfFile
{
    private const uint ShtRela = 4;
    private const uint ShtRel = 9;
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;

    private readonly byte[] bytes;
    private readonly List<Section> sections = [];

    /// <summary>Parses <paramref name="data"/>; throws <see cref="InvalidDataException"/> for anything but ELF64 LSB.</summary>
    public ElfFile(byte[] data)
    {
        bytes = data;
        if (data.Length < 64 || data[0] != 0x7f || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (data[4] != 2 || data[5] != 1) throw new InvalidDataException("only 64-bit little-endian ELF is supported");
        var shoff = checked((int)U64(0x28));
        var shentsize = U16(0x3a);
        var shnum = U16(0x3c);
        if (shentsize != 64 || shoff <= 0 || shoff + (shnum * 64L) > data.Length) throw new InvalidDataException("bad section header table");
        for (var i = 0; i < shnum; i++)
        {
            var o = shoff + (i * 64);
            sections.Add(new Section(U32(o + 4), checked((int)U64(o + 0x18)), checked((int)U64(o + 0x20)), (int)U32(o + 0x28), (int)U32(o + 0x2c), (int)U64(o + 0x38)));
        }
        foreach (var s in sections)
            if (s.Offset < 0 || (long)s.Offset + s.Size > data.Length && s.Type != 8 /* NOBITS */)
                throw new InvalidDataException("a section lies outside the file");
    }

    /// <summary>Reads and parses a file.</summary>
    public static ElfFile Read(string path) => new(File.ReadAllBytes(path));

    /// <summary>The file's bytes (the patcher edits a copy of them).</summary>
    public ReadOnlySpan<byte> Bytes => bytes;

    /// <summary>Every version need: the library, the version name, its flags and where its <c>vna_flags</c> field lies.</summary>
    public IReadOnlyList<VersionNeed> VersionNeeds()
    {
        var result = new List<VersionNeed>();
        foreach (var s in sections.Where(s => s.Type == ShtGnuVerneed))
        {
            var strtab = sections[s.Link];
            var entry = s.Offset;
            for (var n = 0; n < s.Info; n++)
            {
                var count = U16(entry + 2);
                var file = CString(strtab, U32(entry + 4));
                var aux = entry + (int)U32(entry + 8);
                for (var a = 0; a < count; a++)
                {
                    result.Add(new VersionNeed(file, CString(strtab, U32(aux + 8)), U16(aux + 4), U16(aux + 6), aux + 4));
                    var nextAux = U32(aux + 12);
                    if (nextAux == 0) break;
                    aux += (int)nextAux;
                }
                var next = U32(entry + 12);
                if (next == 0) break;
                entry += (int)next;
            }
        }
        return result;
    }

    /// <summary>Every version this object defines (<c>.gnu.version_d</c>), e.g. <c>GLIBCXX_3.4.30</c> in libstdc++.</summary>
    public IReadOnlySet<string> VersionDefinitions()
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in sections.Where(s => s.Type == ShtGnuVerdef))
        {
            var strtab = sections[s.Link];
            var entry = s.Offset;
            for (var n = 0; n < s.Info; n++)
            {
                var aux = entry + (int)U32(entry + 12);
                result.Add(CString(strtab, U32(aux)));
                var next = U32(entry + 16);
                if (next == 0) break;
                entry += (int)next;
            }
        }
        return result;
    }

    /// <summary>The dynamic symbols' names, each with its version index (<c>.gnu.version</c>, hidden bit cleared).</summary>
    public IReadOnlyList<(string Name, int VersionIndex)> DynamicSymbols()
    {
        var dynsym = sections.FirstOrDefault(s => s.Type == ShtDynsym);
        if (dynsym is null) return [];
        var strtab = sections[dynsym.Link];
        var versym = sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
        var count = dynsym.Size / 24;
        var result = new List<(string, int)>(count);
        for (var i = 0; i < count; i++)
        {
            var name = CString(strtab, U32(dynsym.Offset + (i * 24)));
            var version = versym is null ? 1 : U16(versym.Offset + (i * 2)) & 0x7fff;
            result.Add((name, version));
        }
        return result;
    }

    /// <summary>Indices of the dynamic symbols that some relocation (REL or RELA, any section) refers to.</summary>
    public IReadOnlySet<int> RelocatedSymbolIndices()
    {
        var result = new HashSet<int>();
        foreach (var s in sections.Where(s => s.Type is ShtRela or ShtRel))
        {
            var size = s.Type == ShtRela ? 24 : 16;
            for (var o = s.Offset; o + size <= s.Offset + s.Size; o += size)
                result.Add((int)(U64(o + 8) >> 32));
        }
        return result;
    }

    private string CString(Section strtab, uint offset)
    {
        var start = strtab.Offset + (int)offset;
        var end = Array.IndexOf(bytes, (byte)0, start);
        if (end < 0) throw new InvalidDataException("unterminated string");
        return Encoding.ASCII.GetString(bytes, start, end - start);
    }

    private ushort U16(int o) => BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(o));
    private uint U32(int o) => BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(o));
    private ulong U64(int o) => BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(o));

    private sealed record Section(uint Type, int Offset, int Size, int Link, int Info, int EntrySize);
}
