using System.Runtime.InteropServices;

namespace InceptionNeXt.ML.Imaging;

/// <summary>
/// Loads a system image library by trying a list of file names (no assembly-wide DllImport resolver, so it
/// cannot clash with other native bindings in this assembly) and resolves its exports.
/// </summary>
internal sealed class NativeImageLibrary
{
    private readonly nint _handle;

    private NativeImageLibrary(string name, nint handle)
    {
        Name = name;
        _handle = handle;
    }

    /// <summary>The file name that loaded.</summary>
    public string Name { get; }

    /// <summary>Loads the first candidate that exists, or throws <see cref="DllNotFoundException"/> naming the package to install.</summary>
    public static NativeImageLibrary Load(string what, string installHint, params string[] candidates)
    {
        foreach (string candidate in candidates)
        {
            if (NativeLibrary.TryLoad(candidate, typeof(NativeImageLibrary).Assembly, null, out nint handle))
            {
                return new NativeImageLibrary(candidate, handle);
            }
        }

        throw new DllNotFoundException(
            $"Could not load {what} (tried {string.Join(", ", candidates)}). {installHint}");
    }

    /// <summary>The address of an exported function; throws <see cref="EntryPointNotFoundException"/> when missing.</summary>
    public nint Export(string symbol)
    {
        if (!NativeLibrary.TryGetExport(_handle, symbol, out nint address))
        {
            throw new EntryPointNotFoundException($"{Name} does not export {symbol}; the library is too old.");
        }

        return address;
    }
}
