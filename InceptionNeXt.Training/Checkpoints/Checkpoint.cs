using System.Buffers.Binary;

namespace InceptionNeXt.Training.Checkpoints;

/// <summary>Format-agnostic checkpoint entry points: safetensors and PyTorch zip (.pth/.pt/.bin) files.</summary>
public static class Checkpoint
{
    /// <summary>File extensions <see cref="SaveStateDict"/> accepts.</summary>
    public static IReadOnlyList<string> SupportedExtensions { get; } = [".safetensors", ".pth", ".pt", ".bin"];

    /// <summary>The format of a checkpoint file, detected from its content.</summary>
    public enum Format
    {
        /// <summary>safetensors.</summary>
        SafeTensors,

        /// <summary>PyTorch zip checkpoint (torch.save since 1.6).</summary>
        PyTorchZip,

        /// <summary>Legacy PyTorch checkpoint (raw pickle stream, torch.save before 1.6); not supported.</summary>
        PyTorchLegacy,
    }

    /// <summary>Detects a checkpoint's format from its first bytes (not its extension).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The detected format.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty or of no known format.</exception>
    public static Format DetectFormat(string path)
    {
        CheckpointErrors.EnsureExists(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long length = stream.Length;
        if (length == 0)
        {
            throw CheckpointErrors.Format(path, "file is empty (0 bytes); expected a safetensors or PyTorch checkpoint.");
        }

        Span<byte> head = stackalloc byte[9];
        int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..n];
        if (n == 9 && head[8] == '{' && BinaryPrimitives.ReadUInt64LittleEndian(head) is var headerLength && headerLength >= 2 && headerLength <= (ulong)(length - 8))
        {
            return Format.SafeTensors;
        }

        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6)))
        {
            return Format.PyTorchZip;
        }

        if (head[0] == 0x80)
        {
            return Format.PyTorchLegacy;
        }

        throw CheckpointErrors.Format(path, "unrecognised checkpoint format (neither safetensors, nor a PyTorch zip checkpoint).");
    }

    /// <summary>
    /// Loads the state dict of a checkpoint, detecting safetensors vs PyTorch zip from the content.
    /// For PyTorch files <paramref name="key"/> selects the top-level entry (see <see cref="PthReader.ReadStateDict"/>).
    /// </summary>
    /// <param name="path">The checkpoint.</param>
    /// <param name="key">For .pth files: the top-level entry holding the state dict, or null to detect it. Must be null for safetensors.</param>
    /// <returns>The tensors.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is invalid; the message starts with the path.</exception>
    public static StateDict LoadStateDict(string path, string? key = null)
    {
        switch (DetectFormat(path))
        {
            case Format.SafeTensors:
                if (key is not null)
                {
                    throw new ArgumentException($"{path}: a safetensors file holds a single flat state dict; key '{key}' cannot be applied.", nameof(key));
                }

                return SafeTensors.Read(path);
            case Format.PyTorchZip:
                return PthReader.ReadStateDict(path, key);
            default:
                throw CheckpointErrors.Format(path, "this is a legacy (pre-1.6, non-zip) torch.save checkpoint, which is not supported; re-save it with a newer PyTorch: torch.save(torch.load(f), f) writes the default zip serialization.");
        }
    }

    /// <summary>Saves a state dict atomically, choosing the format by extension: .safetensors, or .pth/.pt/.bin (PyTorch zip with an OrderedDict).</summary>
    /// <param name="path">The destination.</param>
    /// <param name="stateDict">The tensors.</param>
    /// <exception cref="ArgumentException">The extension is not one of <see cref="SupportedExtensions"/>.</exception>
    public static void SaveStateDict(string path, StateDict stateDict)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(stateDict);
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".safetensors":
                SafeTensors.Write(path, stateDict);
                break;
            case ".pth":
            case ".pt":
            case ".bin":
                PthWriter.Save(path, stateDict);
                break;
            default:
                throw new ArgumentException($"{path}: unsupported checkpoint extension '{Path.GetExtension(path)}'; supported: {string.Join(", ", SupportedExtensions)}.", nameof(path));
        }
    }
}
