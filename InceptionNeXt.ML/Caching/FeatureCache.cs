using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace InceptionNeXt.ML.Caching;

/// <summary>
/// An on-disk cache of backbone (bottleneck) feature vectors keyed by image identity, so retraining a head does not
/// run the backbone again (as ML.NET's image-classification trainer caches bottleneck values). One cache belongs to
/// one <see cref="ModelKey(string, string, string)"/>: its entries live in <c>directory/&lt;modelKey&gt;/features.bin</c>.
/// </summary>
/// <remarks>
/// <para>
/// File format (little-endian): a header of the 8 ASCII bytes <c>INXFEATC</c>, uint32 format version
/// (<see cref="FormatVersion"/>), int32 byte length and UTF-8 bytes of the model key, and the first 8 bytes of the
/// SHA-256 of everything before them. Then records, appended only: uint32 payload length, the first 8 bytes of the
/// SHA-256 of the payload, and the payload: int32 key byte length, UTF-8 key, int32 feature count, float32 features.
/// A later record for the same key replaces an earlier one.
/// </para>
/// <para>
/// Loading stops at the first record that is cut short, fails its checksum, or has a different vector length; that
/// tail is dropped (see <see cref="Warning"/>) and cut off before the next append, so a write killed half-way never
/// yields a wrong vector. A header of another format version or model, or a damaged one, starts the cache empty and
/// the file is replaced (write to a temporary file, then rename) on the next flush. Thread-safe; several instances or
/// processes may share a cache one flush at a time (flushes take an exclusive lock on the file and keep records that
/// others appended).
/// </para>
/// <para>
/// <see cref="Flush"/> throws when the file cannot be written. <see cref="TryFlush"/> is for callers to whom the cache
/// is only a speed-up: a failed write (a full disk, a folder that became read-only) turns the cache memory-only
/// instead, so a long featurization is not lost to it. A cache on read-only media still answers what it holds.
/// </para>
/// </remarks>
public sealed class FeatureCache : IDisposable
{
    /// <summary>Version written in the header; a file with another version is ignored and replaced.</summary>
    public const int FormatVersion = 1;

    /// <summary>Name of the record file inside the cache directory.</summary>
    public const string FileName = "features.bin";

    private const int RecordHeaderSize = 12; // uint32 payload length + 8 checksum bytes
    private const int ChecksumSize = 8;
    private const int MaxKeyBytes = 1 << 16;
    private const int MaxPayloadBytes = 1 << 30;
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly object _gate = new();       // guards _entries, _pending, _dimension, _disposed, _writeError
    private readonly object _flushGate = new();  // one flush at a time; guards _validLength
    private readonly Dictionary<string, float[]> _entries = new(StringComparer.Ordinal);
    private readonly byte[] _header;
    private List<KeyValuePair<string, float[]>> _pending = [];
    private int _dimension;
    private long _validLength; // file length known to hold only our header and whole records; 0 when unknown
    private long _hits;
    private long _misses;
    private bool _disposed;
    private Exception? _writeError;

    /// <summary>Opens (or starts) the cache for <paramref name="modelKey"/> under <paramref name="directory"/>; never throws for a missing or damaged file.</summary>
    /// <param name="directory">Root folder of caches; created when missing.</param>
    /// <param name="modelKey">Usually <see cref="ModelKey(string, string, string)"/>; it names the sub-folder, so it may not contain path separators.</param>
    public FeatureCache(string directory, string modelKey)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelKey);
        if (modelKey is "." or ".." || modelKey.IndexOfAny(['/', '\\', '\0']) >= 0 || modelKey.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new ArgumentException($"The model key '{modelKey}' cannot be used as a folder name.", nameof(modelKey));
        CacheDirectory = Path.Combine(Path.GetFullPath(directory), modelKey);
        FilePath = Path.Combine(CacheDirectory, FileName);
        Directory.CreateDirectory(CacheDirectory);
        _header = BuildHeader(modelKey);
        Load();
    }

    /// <summary>The folder of this model's cache.</summary>
    public string CacheDirectory { get; }

    /// <summary>The record file.</summary>
    public string FilePath { get; }

    /// <summary>What went wrong while loading (an unusable header, a dropped damaged tail, an unreadable file); null when nothing did.</summary>
    public string? Warning { get; private set; }

    /// <summary>
    /// The write error that turned this cache memory-only (see <see cref="TryFlush"/>), or null while it writes to disk.
    /// </summary>
    public Exception? WriteError
    {
        get
        {
            lock (_gate) return _writeError;
        }
    }

    /// <summary>Number of <see cref="TryGet"/> calls that found a vector.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Number of <see cref="TryGet"/> calls that found nothing.</summary>
    public long Misses => Interlocked.Read(ref _misses);

    /// <summary>Number of cached vectors.</summary>
    public int Count
    {
        get
        {
            lock (_gate) return _entries.Count;
        }
    }

    /// <summary>Length of every vector in this cache; 0 while it is empty.</summary>
    public int Dimension
    {
        get
        {
            lock (_gate) return _dimension;
        }
    }

    /// <summary>
    /// The cache key of a model: hex SHA-256 of the model file's bytes together with the preprocessing description and
    /// the output name, so another model file, preprocessing or output never shares entries.
    /// </summary>
    public static string ModelKey(string modelPath, string preprocessingDescription, string outputName)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        using var hash = StartModelKey(preprocessingDescription, outputName);
        using (var stream = new FileStream(modelPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
        {
            // Every part is length-prefixed so no two different (model, preprocessing, output) triples hash the same bytes.
            AppendInt64(hash, stream.Length);
            var buffer = new byte[1 << 16];
            int read;
            while ((read = stream.Read(buffer)) > 0) hash.AppendData(buffer, 0, read);
        }
        return FinishModelKey(hash, preprocessingDescription, outputName);
    }

    /// <summary>The same key as <see cref="ModelKey(string, string, string)"/> for a model held in memory.</summary>
    public static string ModelKey(ReadOnlySpan<byte> model, string preprocessingDescription, string outputName)
    {
        using var hash = StartModelKey(preprocessingDescription, outputName);
        AppendInt64(hash, model.Length);
        hash.AppendData(model);
        return FinishModelKey(hash, preprocessingDescription, outputName);
    }

    private static IncrementalHash StartModelKey(string preprocessingDescription, string outputName)
    {
        ArgumentNullException.ThrowIfNull(preprocessingDescription);
        ArgumentNullException.ThrowIfNull(outputName);
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData("InceptionNeXt.FeatureCache.ModelKey\0"u8);
        return hash;
    }

    private static string FinishModelKey(IncrementalHash hash, string preprocessingDescription, string outputName)
    {
        foreach (string text in (string[])[preprocessingDescription, outputName])
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            AppendInt64(hash, bytes.Length);
            hash.AppendData(bytes);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Identity of an image file: full path, length and last-write time (UTC ticks), so an edited file misses.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static string FileKey(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(Path.GetFullPath(path));
        if (!info.Exists) throw new FileNotFoundException($"Cannot key '{path}': the file does not exist.", path);
        return string.Create(CultureInfo.InvariantCulture, $"file:{info.FullName}|{info.Length}|{info.LastWriteTimeUtc.Ticks}");
    }

    /// <summary>Identity of in-memory image bytes: their SHA-256.</summary>
    public static string ContentKey(ReadOnlySpan<byte> data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>Looks up the vector cached for <paramref name="key"/>; the array returned is the caller's own copy.</summary>
    public bool TryGet(string key, [MaybeNullWhen(false)] out float[] features)
    {
        ArgumentNullException.ThrowIfNull(key);
        float[]? stored;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _entries.TryGetValue(key, out stored);
        }

        if (stored is null)
        {
            Interlocked.Increment(ref _misses);
            features = null;
            return false;
        }

        Interlocked.Increment(ref _hits);
        features = (float[])stored.Clone(); // stored arrays are never mutated, so copying outside the lock is safe
        return true;
    }

    /// <summary>Caches a copy of <paramref name="features"/> under <paramref name="key"/>; it reaches the disk on <see cref="Flush"/> or <see cref="Dispose"/>.</summary>
    /// <exception cref="ArgumentException">An empty vector, a vector whose length differs from the cache's <see cref="Dimension"/>, or a key that is not valid Unicode or is too long.</exception>
    public void Put(string key, float[] features)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(features);
        if (features.Length == 0) throw new ArgumentException("A feature vector needs at least one value.", nameof(features));
        int keyBytes;
        try
        {
            keyBytes = s_utf8.GetByteCount(key);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException("The key is not valid Unicode (it has an unpaired surrogate).", nameof(key), e);
        }

        if (keyBytes > MaxKeyBytes) throw new ArgumentException($"The key takes {keyBytes} UTF-8 bytes; at most {MaxKeyBytes} are allowed.", nameof(key));
        if ((long)features.Length * sizeof(float) + keyBytes + 8 > MaxPayloadBytes)
            throw new ArgumentException($"A vector of {features.Length} values is too large to cache.", nameof(features));

        float[] copy = (float[])features.Clone();
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_dimension != 0 && copy.Length != _dimension)
                throw new ArgumentException($"The vector for '{key}' has {copy.Length} values but this cache holds vectors of {_dimension}.", nameof(features));
            if (_entries.TryGetValue(key, out float[]? existing) && existing.AsSpan().SequenceEqual(copy)) return;
            _dimension = copy.Length;
            _entries[key] = copy;
            if (_writeError is null) _pending.Add(new(key, copy));
        }
    }

    /// <summary>
    /// Writes the entries added since the last flush to disk durably (fsync); a no-op when there are none, or when the
    /// cache is memory-only (<see cref="WriteError"/>).
    /// </summary>
    /// <exception cref="IOException">The file could not be written; the entries stay queued for the next flush.</exception>
    /// <exception cref="UnauthorizedAccessException">The file or folder may not be written; the entries stay queued.</exception>
    public void Flush()
    {
        lock (_gate) ObjectDisposedException.ThrowIf(_disposed, this);
        FlushPending();
    }

    /// <summary>
    /// Writes like <see cref="Flush"/>, but a write that fails does not throw: the cache turns memory-only for the rest of
    /// its life. The entries not yet written, and those <see cref="Put"/> later, are still answered by
    /// <see cref="TryGet"/> but never written (nor by <see cref="Dispose"/>), and <see cref="WriteError"/> holds the error.
    /// </summary>
    /// <returns>True when everything added so far is on disk; false when the cache is memory-only, since now or before.</returns>
    public bool TryFlush()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_writeError is not null) return false;
        }

        try
        {
            FlushPending();
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            lock (_gate)
            {
                _writeError ??= e;
                _pending.Clear();
            }

            return false;
        }
    }

    /// <summary>Flushes (nothing when memory-only), then closes the cache. Later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true; // no Put can slip in after the final flush
        }

        FlushPending();
    }

    private void FlushPending()
    {
        lock (_flushGate)
        {
            List<KeyValuePair<string, float[]>> batch;
            lock (_gate)
            {
                if (_pending.Count == 0) return;
                batch = _pending;
                _pending = [];
            }

            try
            {
                WriteBatch(batch);
            }
            catch
            {
                lock (_gate) _pending.InsertRange(0, batch);
                throw;
            }
        }
    }

    private void WriteBatch(List<KeyValuePair<string, float[]>> batch)
    {
        byte[] records = EncodeRecords(batch);
        FileStream? file = OpenWithRetry(() => new FileStream(FilePath, FileMode.Open, FileAccess.ReadWrite, FileShare.None), missingIsNull: true);
        if (file is not null)
        {
            using (file)
            {
                if (CheckHeader(file) is null)
                {
                    if (_validLength > 0 && file.Length == _validLength)
                    {
                        Append(file, _validLength, records);
                        return;
                    }

                    // The file changed since we last read it (another writer appended, or a torn tail is still there):
                    // keep every whole record on it, cut whatever follows, then append.
                    int dimension;
                    lock (_gate) dimension = _dimension;
                    long end = ReadRecords(file, _header.Length, ref dimension, (key, features) =>
                    {
                        lock (_gate) _entries.TryAdd(key, features); // our newer values win, as they do on disk
                    });
                    Append(file, end, records);
                    return;
                }
            }
        }

        Rewrite();
    }

    private void Append(FileStream file, long at, byte[] records)
    {
        file.SetLength(at);
        file.Position = at;
        file.Write(records);
        file.Flush(flushToDisk: true);
        _validLength = at + records.Length;
    }

    /// <summary>Replaces a missing or foreign file with the header and every entry held in memory, atomically.</summary>
    private void Rewrite()
    {
        List<KeyValuePair<string, float[]>> all;
        lock (_gate) all = [.. _entries];
        byte[] records = EncodeRecords(all);
        Directory.CreateDirectory(CacheDirectory);
        string temp = FilePath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(_header);
                file.Write(records);
                file.Flush(flushToDisk: true);
            }

            File.Move(temp, FilePath, overwrite: true);
            _validLength = _header.Length + records.Length;
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    private void Load()
    {
        FileStream? file;
        try
        {
            file = OpenWithRetry(() => new FileStream(FilePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), missingIsNull: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Warning = $"Could not read {FilePath} ({e.Message}); starting empty.";
            return;
        }

        if (file is null) return;
        using (file)
        {
            try
            {
                string? problem = CheckHeader(file);
                if (problem is not null)
                {
                    Warning = $"{FilePath}: {problem}; starting empty (the file is replaced on the next flush).";
                    return;
                }

                int dimension = 0;
                long end = ReadRecords(file, _header.Length, ref dimension, (key, features) => _entries[key] = features);
                _dimension = dimension;
                _validLength = end;
                if (end < file.Length)
                    Warning = $"{FilePath}: dropped {file.Length - end} bytes of damaged or incomplete records at offset {end}; {_entries.Count} entries loaded.";
            }
            catch (IOException e)
            {
                _entries.Clear();
                _dimension = 0;
                _validLength = 0;
                Warning = $"Could not read {FilePath} ({e.Message}); starting empty.";
            }
        }
    }

    /// <summary>Null when the file starts with this cache's header, else why not.</summary>
    private string? CheckHeader(FileStream file)
    {
        var found = new byte[_header.Length];
        file.Position = 0;
        int read = file.ReadAtLeast(found, found.Length, throwOnEndOfStream: false);
        if (read < 12) return "the header is incomplete";
        if (!found.AsSpan(0, 8).SequenceEqual(_header.AsSpan(0, 8))) return "not a feature cache file";
        int version = BinaryPrimitives.ReadInt32LittleEndian(found.AsSpan(8));
        if (version != FormatVersion) return $"format version {version}, this build reads version {FormatVersion}";
        if (read < found.Length || !found.AsSpan().SequenceEqual(_header)) return "the header is damaged or belongs to another model key";
        return null;
    }

    /// <summary>
    /// Reads whole, intact records from <paramref name="start"/> and returns the offset just past the last one.
    /// Stops at a record that is cut short, fails its checksum, is malformed, or whose length differs from
    /// <paramref name="dimension"/> (set by the first record when 0).
    /// </summary>
    private static long ReadRecords(FileStream file, long start, ref int dimension, Action<string, float[]> accept)
    {
        long length = file.Length;
        long position = start;
        file.Position = start;
        Span<byte> head = stackalloc byte[RecordHeaderSize];
        Span<byte> hash = stackalloc byte[32];
        byte[] payload = [];
        while (length - position >= RecordHeaderSize)
        {
            file.ReadExactly(head);
            uint size = BinaryPrimitives.ReadUInt32LittleEndian(head);
            if (size < 12 || size > MaxPayloadBytes || size > length - position - RecordHeaderSize) break;
            if (payload.Length < size) payload = new byte[Math.Max(size, payload.Length * 2L)];
            Span<byte> body = payload.AsSpan(0, (int)size);
            file.ReadExactly(body);
            SHA256.HashData(body, hash);
            if (!hash[..ChecksumSize].SequenceEqual(head[4..])) break;
            if (!TryDecode(body, out string? key, out float[]? features)) break;
            if (dimension != 0 && features.Length != dimension) break;
            dimension = features.Length;
            accept(key, features);
            position += RecordHeaderSize + size;
        }

        return position;
    }

    private static bool TryDecode(ReadOnlySpan<byte> body, [NotNullWhen(true)] out string? key, [NotNullWhen(true)] out float[]? features)
    {
        key = null;
        features = null;
        int keyBytes = BinaryPrimitives.ReadInt32LittleEndian(body);
        if (keyBytes < 1 || keyBytes > MaxKeyBytes || keyBytes > body.Length - 8) return false;
        int count = BinaryPrimitives.ReadInt32LittleEndian(body[(4 + keyBytes)..]);
        if (count < 1 || (long)count * sizeof(float) != body.Length - 8 - keyBytes) return false;
        try
        {
            key = s_utf8.GetString(body.Slice(4, keyBytes));
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        features = new float[count];
        ReadOnlySpan<byte> values = body[(8 + keyBytes)..];
        for (var i = 0; i < count; i++) features[i] = BinaryPrimitives.ReadSingleLittleEndian(values[(i * sizeof(float))..]);
        return true;
    }

    private static byte[] EncodeRecords(List<KeyValuePair<string, float[]>> entries)
    {
        long total = 0;
        foreach ((string key, float[] features) in entries) total += RecordHeaderSize + 8 + s_utf8.GetByteCount(key) + (long)features.Length * sizeof(float);
        var bytes = new byte[total];
        var at = 0;
        Span<byte> hash = stackalloc byte[32];
        foreach ((string key, float[] features) in entries)
        {
            int keyBytes = s_utf8.GetByteCount(key);
            int size = 8 + keyBytes + features.Length * sizeof(float);
            Span<byte> record = bytes.AsSpan(at, RecordHeaderSize + size);
            Span<byte> body = record[RecordHeaderSize..];
            BinaryPrimitives.WriteInt32LittleEndian(body, keyBytes);
            s_utf8.GetBytes(key, body.Slice(4, keyBytes));
            BinaryPrimitives.WriteInt32LittleEndian(body[(4 + keyBytes)..], features.Length);
            Span<byte> values = body[(8 + keyBytes)..];
            for (var i = 0; i < features.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(values[(i * sizeof(float))..], features[i]);
            BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)size);
            SHA256.HashData(body, hash);
            hash[..ChecksumSize].CopyTo(record[4..]);
            at += record.Length;
        }

        return bytes;
    }

    private static byte[] BuildHeader(string modelKey)
    {
        byte[] key = Encoding.UTF8.GetBytes(modelKey);
        var header = new byte[16 + key.Length + ChecksumSize];
        "INXFEATC"u8.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), FormatVersion);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), key.Length);
        key.CopyTo(header, 16);
        SHA256.HashData(header.AsSpan(0, 16 + key.Length)).AsSpan(0, ChecksumSize).CopyTo(header.AsSpan(16 + key.Length));
        return header;
    }

    /// <summary>Opens a file, waiting briefly while another instance holds it locked; null for a missing file when asked.</summary>
    private static FileStream? OpenWithRetry(Func<FileStream> open, bool missingIsNull)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return open();
            }
            catch (IOException e) when (missingIsNull && e is FileNotFoundException or DirectoryNotFoundException)
            {
                return null;
            }
            catch (IOException e) when (attempt < 50 && e is not (FileNotFoundException or DirectoryNotFoundException))
            {
                Thread.Sleep(100); // another flush holds the exclusive lock; they are short
            }
        }
    }

    private static void AppendInt64(IncrementalHash hash, long value)
    {
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        hash.AppendData(bytes);
    }
}
