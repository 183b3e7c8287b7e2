using InceptionNeXt.ML.Imaging;
using System.IO.Compression;
using System.Text;

namespace InceptionNeXt.Training.Checkpoints;

/// <summary>
/// Reads PyTorch <c>torch.save</c> checkpoints in the zip format (PyTorch 1.6 and later) without libtorch and without
/// executing any code: <c>data.pkl</c> is interpreted by a restricted unpickler that only knows tensors, storages and
/// plain containers (dict/OrderedDict, list, tuple, set, str, int, float, bool, None, bytes, argparse.Namespace,
/// numpy scalars); any other global is refused.
/// </summary>
/// <remarks>
/// The value tree returned by <see cref="Load"/> uses: <see cref="Dictionary{TKey,TValue}"/> of string to object?
/// for dict, OrderedDict and argparse.Namespace (non-string keys are converted with Python's <c>str()</c>, e.g. the
/// optimizer state key 0 becomes "0"); <see cref="List{T}"/> of object? for lists; object?[] for tuples;
/// <see cref="HashSet{T}"/> of object? for set/frozenset; <see cref="TensorData"/> for tensors and parameters;
/// long for int and numpy integer scalars; double for float and numpy float scalars; bool; string; byte[] for
/// bytes; <see cref="TensorDType"/> for torch dtype objects; null for None.
/// </remarks>
public static class PthReader
{
    /// <summary>Entries tried, in order, by <see cref="ReadStateDict"/> when no key is given and the top-level dict is not itself a state dict.</summary>
    public static IReadOnlyList<string> StateDictKeys { get; } = ["state_dict", "model", "module", "state_dict_ema", "model_ema"];

    /// <summary>Loads the whole object tree of a .pth/.pt checkpoint.</summary>
    /// <param name="path">The checkpoint file.</param>
    /// <returns>The unpickled object (usually a dict); see the type remarks for the value types.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty, not a zip checkpoint, a legacy (pre-1.6) checkpoint, truncated, big-endian, refers to a disallowed global, or reads storage out of range; the message starts with the path.</exception>
    public static object? Load(string path)
    {
        CheckpointErrors.EnsureExists(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.RandomAccess);
        CheckSignature(stream, path);
        ZipArchive zip;
        try
        {
            zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        }
        catch (InvalidDataException e)
        {
            throw CheckpointErrors.Format(path, $"truncated or corrupt zip archive ({e.Message})", e);
        }

        using (zip)
        {
            return new Archive(zip, path, stream.Length).Load();
        }
    }

    /// <summary>
    /// Loads a checkpoint and returns its state dict: the entry <paramref name="key"/> when given; else the top-level
    /// dict when all its values are tensors; else the first of <see cref="StateDictKeys"/> that holds a dict.
    /// Non-tensor entries are skipped, and a "module." prefix carried by every key (DataParallel) is removed.
    /// </summary>
    /// <param name="path">The checkpoint file.</param>
    /// <param name="key">Top-level entry holding the state dict (e.g. "model"), or null to detect it.</param>
    /// <returns>The tensors in file order.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is invalid or holds no state dict (the message lists the top-level keys).</exception>
    public static StateDict ReadStateDict(string path, string? key = null) => FindStateDict(Load(path), path, key);

    /// <summary>Finds the state dict inside an object tree returned by <see cref="Load"/> (see <see cref="ReadStateDict"/> for the rules).</summary>
    /// <param name="tree">The loaded tree.</param>
    /// <param name="source">File name used in error messages.</param>
    /// <param name="key">Top-level entry holding the state dict, or null to detect it.</param>
    /// <returns>The tensors.</returns>
    /// <exception cref="InvalidDataException">No state dict was found.</exception>
    public static StateDict FindStateDict(object? tree, string source, string? key = null)
    {
        if (tree is not Dictionary<string, object?> top)
        {
            throw CheckpointErrors.Format(source, $"the checkpoint holds {DescribeValue(tree)}, not a dict; cannot find a state dict in it.");
        }

        if (key is not null)
        {
            if (!top.TryGetValue(key, out object? entry))
            {
                throw CheckpointErrors.Format(source, $"has no top-level key '{key}'; available keys: {ListKeys(top)}.");
            }

            return entry is Dictionary<string, object?> sd
                ? ToStateDict(sd)
                : throw CheckpointErrors.Format(source, $"top-level entry '{key}' is {DescribeValue(entry)}, not a state dict.");
        }

        if (top.Values.All(v => v is TensorData))
        {
            return ToStateDict(top);
        }

        foreach (string candidate in StateDictKeys)
        {
            if (top.TryGetValue(candidate, out object? entry) && entry is Dictionary<string, object?> sd && sd.Values.Any(v => v is TensorData))
            {
                return ToStateDict(sd);
            }
        }

        if (top.Values.Any(v => v is TensorData))
        {
            return ToStateDict(top);
        }

        throw CheckpointErrors.Format(source, $"no state dict found: the top-level dict has keys {ListKeys(top)} and none of {string.Join(", ", StateDictKeys.Select(k => $"'{k}'"))} holds tensors; pass the key that holds it.");
    }

    private static StateDict ToStateDict(Dictionary<string, object?> dict)
    {
        var tensors = dict.Where(kv => kv.Value is TensorData).Select(kv => (kv.Key, Tensor: (TensorData)kv.Value!)).ToList();
        const string prefix = "module.";
        bool strip = tensors.Count > 0 && tensors.All(t => t.Key.StartsWith(prefix, StringComparison.Ordinal));
        var sd = new StateDict();
        foreach ((string name, TensorData tensor) in tensors)
        {
            sd.Set(strip ? name[prefix.Length..] : name, tensor);
        }

        return sd;
    }

    private static string ListKeys(Dictionary<string, object?> dict) =>
        dict.Count == 0 ? "(none)" : string.Join(", ", dict.Keys.Take(30).Select(k => $"'{k}'")) + (dict.Count > 30 ? ", ..." : string.Empty);

    private static string DescribeValue(object? value) => value switch
    {
        null => "None",
        TensorData t => $"a tensor {t}",
        List<object?> => "a list",
        object?[] => "a tuple",
        Dictionary<string, object?> => "a dict",
        string => "a string",
        _ => $"a {value.GetType().Name}",
    };

    internal static void CheckSignature(Stream stream, string path)
    {
        long length = stream.Length;
        if (length == 0)
        {
            throw CheckpointErrors.Format(path, "file is empty (0 bytes); expected a PyTorch checkpoint.");
        }

        Span<byte> head = stackalloc byte[4];
        int n = stream.ReadAtLeast(head, 4, throwOnEndOfStream: false);
        stream.Position = 0;
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6)))
        {
            return;
        }

        if (head[0] == 0x80)
        {
            throw CheckpointErrors.Format(path, "this is a legacy (pre-1.6, non-zip) torch.save checkpoint, which is not supported; re-save it with a newer PyTorch: torch.save(torch.load(f), f) writes the default zip serialization.");
        }

        throw CheckpointErrors.Format(path, "not a PyTorch zip checkpoint (no zip signature 'PK\\x03\\x04' at the start of the file).");
    }

    /// <summary>One opened checkpoint zip: finds its records and resolves storages for the unpickler.</summary>
    private sealed class Archive(ZipArchive zip, string path, long fileLength)
    {
        private readonly Dictionary<string, ZipArchiveEntry> _entries = new(StringComparer.Ordinal);
        private readonly Dictionary<string, byte[]> _storageBytes = new(StringComparer.Ordinal);
        private readonly Dictionary<(string Key, TensorDType DType), TorchStorage> _storages = [];
        private string _prefix = string.Empty;

        public object? Load()
        {
            IReadOnlyCollection<ZipArchiveEntry> all;
            try
            {
                all = zip.Entries;
            }
            catch (InvalidDataException e)
            {
                throw CheckpointErrors.Format(path, $"corrupt zip directory ({e.Message})", e);
            }

            foreach (ZipArchiveEntry e in all)
            {
                _entries.TryAdd(e.FullName, e);
            }

            var pickles = _entries.Keys.Where(n => n.EndsWith("/data.pkl", StringComparison.Ordinal) && n.IndexOf('/') == n.Length - "/data.pkl".Length).ToList();
            if (pickles.Count == 0)
            {
                throw CheckpointErrors.Format(path, "zip archive has no '<folder>/data.pkl' record; it is not a torch.save checkpoint.");
            }

            if (pickles.Count > 1)
            {
                throw CheckpointErrors.Format(path, $"zip archive has several data.pkl records ({string.Join(", ", pickles)}).");
            }

            _prefix = pickles[0][..^"data.pkl".Length];
            if (_entries.TryGetValue(_prefix + "byteorder", out ZipArchiveEntry? order))
            {
                string text = Encoding.ASCII.GetString(ReadEntry(order, 64)).Trim();
                if (text == "big")
                {
                    throw CheckpointErrors.Format(path, "checkpoint was saved on a big-endian machine (byteorder 'big'); only little-endian checkpoints are supported.");
                }

                if (text != "little")
                {
                    throw CheckpointErrors.Format(path, $"unknown byteorder record '{text}'.");
                }
            }

            byte[] pickle = ReadEntry(_entries[pickles[0]], null);
            return new Unpickler(pickle, path, PersistentLoad).Load();
        }

        private TorchStorage PersistentLoad(object? pid)
        {
            if (pid is not object?[] { Length: 5 } t || t[0] is not string kind || kind != "storage")
            {
                throw CheckpointErrors.Format(path, "unsupported persistent id in data.pkl (expected ('storage', type, key, location, numel)).");
            }

            if (!Unpickler.TryGetStorageDType(t[1], out TensorDType dtype))
            {
                throw CheckpointErrors.Format(path, "unsupported storage type in data.pkl (only float32/64, float16, bfloat16, int8/16/32/64, uint8 and bool storages are supported).");
            }

            if (t[2] is not string key || t[4] is not long numel || numel < 0)
            {
                throw CheckpointErrors.Format(path, "malformed storage persistent id in data.pkl.");
            }

            if (_storages.TryGetValue((key, dtype), out TorchStorage? cached))
            {
                return cached;
            }

            if (!_storageBytes.TryGetValue(key, out byte[]? bytes))
            {
                if (!_entries.TryGetValue(_prefix + "data/" + key, out ZipArchiveEntry? entry))
                {
                    throw CheckpointErrors.Format(path, $"storage record '{_prefix}data/{key}' is missing from the zip archive.");
                }

                bytes = ReadEntry(entry, null);
                _storageBytes[key] = bytes;
            }

            long needed = numel > long.MaxValue / 8 ? long.MaxValue : numel * dtype.ElementSize();
            if (bytes.LongLength < needed)
            {
                throw CheckpointErrors.Format(path, $"storage record '{_prefix}data/{key}' has {bytes.LongLength} bytes but {numel} {dtype} elements need {needed} (out-of-range storage read; truncated file?).");
            }

            byte[] exact = bytes.LongLength == needed ? bytes : bytes.AsSpan(0, (int)needed).ToArray();
            var storage = new TorchStorage(key, dtype, exact);
            _storages[(key, dtype)] = storage;
            return storage;
        }

        private byte[] ReadEntry(ZipArchiveEntry entry, int? limit)
        {
            long length = entry.Length;
            if (limit is { } max && length > max)
            {
                throw CheckpointErrors.Format(path, $"zip record '{entry.FullName}' is unexpectedly large ({length} bytes).");
            }

            if (entry.CompressedLength > fileLength)
            {
                throw CheckpointErrors.Format(path, $"zip record '{entry.FullName}' claims {entry.CompressedLength} bytes, more than the whole {fileLength}-byte file (truncated?).");
            }

            if (length > Array.MaxLength || length > (entry.CompressedLength * 1100L) + 4096)
            {
                throw CheckpointErrors.Format(path, $"zip record '{entry.FullName}' claims an implausible size of {length} bytes.");
            }

            var bytes = new byte[length];
            try
            {
                using Stream s = entry.Open();
                s.ReadExactly(bytes);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
            {
                throw CheckpointErrors.Format(path, $"zip record '{entry.FullName}' is truncated or corrupt ({e.Message})", e);
            }

            // Stored (uncompressed) records, which torch.save writes, are not checked by the zip reader: a flipped bit
            // in the weights would load silently.
            uint crc = Crc32.Compute(bytes);
            if (crc != entry.Crc32)
            {
                throw CheckpointErrors.Format(path, $"zip record '{entry.FullName}' is corrupt: its CRC-32 is {crc:x8}, the archive records {entry.Crc32:x8} (damaged file or disk?).");
            }

            return bytes;
        }
    }
}
