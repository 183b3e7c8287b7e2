using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using InceptionNeXt.ML.IO;

namespace InceptionNeXt.Training.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format: an unsigned 64-bit little-endian header length, a JSON header
/// <c>{name: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {str: str}}</c>
/// padded with spaces to a multiple of 8 bytes, then the tensor bytes (offsets relative to the end of the header).
/// </summary>
public static class SafeTensors
{
    /// <summary>Largest header accepted (the limit of the reference implementation).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>Reads a safetensors file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The tensors in header order, with the header's string metadata.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message names the file and the problem.</exception>
    public static StateDict Read(string path)
    {
        CheckpointErrors.EnsureExists(path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.RandomAccess);
        return ReadCore(stream, path);
    }

    /// <summary>Reads safetensors data from a stream (from its current position to its end).</summary>
    /// <param name="stream">The stream; a non-seekable one is buffered in memory first.</param>
    /// <returns>The tensors in header order, with the header's string metadata.</returns>
    /// <exception cref="InvalidDataException">The data is not valid safetensors; the message names the stream (its file name for a <see cref="FileStream"/>).</exception>
    public static StateDict Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        string name = stream is FileStream fs ? fs.Name : "<stream>";
        if (stream.CanSeek)
        {
            return ReadCore(stream, name);
        }

        using var buffered = new MemoryStream();
        stream.CopyTo(buffered);
        buffered.Position = 0;
        return ReadCore(buffered, name);
    }

    /// <summary>Writes <paramref name="stateDict"/> (tensors in its order, plus its metadata) atomically to <paramref name="path"/>.</summary>
    /// <param name="path">The destination; written through a temporary "path.PID.RANDOM.tmp" and renamed over any existing file.</param>
    /// <param name="stateDict">The tensors.</param>
    public static void Write(string path, StateDict stateDict)
    {
        ArgumentNullException.ThrowIfNull(stateDict);
        AtomicFile.Write(path, stream => Write(stream, stateDict));
    }

    /// <summary>Writes <paramref name="stateDict"/> in safetensors format to a stream.</summary>
    /// <param name="stream">The destination stream.</param>
    /// <param name="stateDict">The tensors.</param>
    public static void Write(Stream stream, StateDict stateDict)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(stateDict);
        byte[] header = BuildHeader(stateDict);
        Span<byte> lengthBytes = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(lengthBytes, (ulong)header.Length);
        stream.Write(lengthBytes);
        stream.Write(header);
        foreach (KeyValuePair<string, TensorData> entry in stateDict)
        {
            stream.Write(entry.Value.Data);
        }
    }

    private static byte[] BuildHeader(StateDict stateDict)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (stateDict.Metadata.Count > 0)
            {
                writer.WriteStartObject(MetadataKey);
                foreach (KeyValuePair<string, string> kv in stateDict.Metadata)
                {
                    writer.WriteString(kv.Key, kv.Value);
                }

                writer.WriteEndObject();
            }

            long offset = 0;
            foreach (KeyValuePair<string, TensorData> entry in stateDict)
            {
                if (entry.Key == MetadataKey)
                {
                    throw new ArgumentException($"A tensor cannot be named '{MetadataKey}' in a safetensors file.", nameof(stateDict));
                }

                TensorData t = entry.Value;
                writer.WriteStartObject(entry.Key);
                writer.WriteString("dtype", t.DType.ToSafeTensorsName());
                writer.WriteStartArray("shape");
                foreach (long d in t.Shape)
                {
                    writer.WriteNumberValue(d);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(offset);
                offset += t.Data.LongLength;
                writer.WriteNumberValue(offset);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        int length = (int)json.Length;
        int padded = (length + 7) / 8 * 8;
        var header = new byte[padded];
        json.GetBuffer().AsSpan(0, length).CopyTo(header);
        header.AsSpan(length).Fill((byte)' ');
        return header;
    }

    private static StateDict ReadCore(Stream stream, string name)
    {
        long start = stream.Position;
        long total = stream.Length - start;
        if (total == 0)
        {
            throw CheckpointErrors.Format(name, "file is empty (0 bytes); expected a safetensors file.");
        }

        if (total < 8)
        {
            throw CheckpointErrors.Format(name, $"file is too short ({total} bytes) to hold a safetensors header length.");
        }

        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(total - 8))
        {
            throw CheckpointErrors.Format(name, $"safetensors header length {headerLength} exceeds the {total - 8} bytes that follow it (truncated or not a safetensors file).");
        }

        if (headerLength > MaxHeaderBytes)
        {
            throw CheckpointErrors.Format(name, $"safetensors header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit.");
        }

        if (headerLength < 2)
        {
            throw CheckpointErrors.Format(name, $"safetensors header length {headerLength} is too small to hold a JSON object.");
        }

        var headerBytes = new byte[(int)headerLength];
        stream.ReadExactly(headerBytes);
        long dataStart = start + 8 + (long)headerLength;
        long bufferLength = total - 8 - (long)headerLength;

        var entries = new List<(string Name, TensorDType DType, long[] Shape, long Begin, long End)>();
        var result = new StateDict();
        try
        {
            using JsonDocument doc = JsonDocument.Parse(headerBytes, new JsonDocumentOptions { MaxDepth = 16 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw CheckpointErrors.Format(name, "safetensors header is not a JSON object.");
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (JsonProperty prop in doc.RootElement.EnumerateObject())
            {
                if (!seen.Add(prop.Name))
                {
                    throw CheckpointErrors.Format(name, $"safetensors header lists '{prop.Name}' twice.");
                }

                if (prop.Name == MetadataKey)
                {
                    ReadMetadata(prop.Value, result, name);
                    continue;
                }

                entries.Add(ParseEntry(prop, name, bufferLength));
            }
        }
        catch (JsonException e)
        {
            throw CheckpointErrors.Format(name, $"safetensors header is not valid JSON: {e.Message}", e);
        }

        // Reject overlapping byte ranges (empty tensors occupy no bytes and cannot overlap).
        var ranges = entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin).ToList();
        for (int i = 1; i < ranges.Count; i++)
        {
            if (ranges[i].Begin < ranges[i - 1].End)
            {
                throw CheckpointErrors.Format(name, $"tensors '{ranges[i - 1].Name}' [{ranges[i - 1].Begin}, {ranges[i - 1].End}) and '{ranges[i].Name}' [{ranges[i].Begin}, {ranges[i].End}) overlap in the data buffer.");
            }
        }

        foreach (var e in entries)
        {
            long size = e.End - e.Begin;
            if (size > Array.MaxLength)
            {
                throw CheckpointErrors.Format(name, $"tensor '{e.Name}' has {size} bytes, more than a single .NET array can hold.");
            }

            var data = new byte[size];
            if (size > 0)
            {
                stream.Position = dataStart + e.Begin;
                try
                {
                    stream.ReadExactly(data);
                }
                catch (EndOfStreamException ex)
                {
                    throw CheckpointErrors.Format(name, $"file ended while reading tensor '{e.Name}' (truncated).", ex);
                }
            }

            result.Add(e.Name, new TensorData(e.DType, e.Shape, data));
        }

        return result;
    }

    private static void ReadMetadata(JsonElement value, StateDict result, string name)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw CheckpointErrors.Format(name, $"safetensors '{MetadataKey}' must be an object of strings.");
        }

        foreach (JsonProperty kv in value.EnumerateObject())
        {
            if (kv.Value.ValueKind != JsonValueKind.String)
            {
                throw CheckpointErrors.Format(name, $"safetensors metadata entry '{kv.Name}' is not a string.");
            }

            result.Metadata[kv.Name] = kv.Value.GetString()!;
        }
    }

    private static (string Name, TensorDType DType, long[] Shape, long Begin, long End) ParseEntry(JsonProperty prop, string name, long bufferLength)
    {
        string tensor = prop.Name;
        JsonElement info = prop.Value;
        if (info.ValueKind != JsonValueKind.Object)
        {
            throw CheckpointErrors.Format(name, $"safetensors entry '{tensor}' is not an object.");
        }

        if (!info.TryGetProperty("dtype", out JsonElement dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
        {
            throw CheckpointErrors.Format(name, $"safetensors entry '{tensor}' has no string 'dtype'.");
        }

        string dtypeName = dtypeEl.GetString()!;
        if (!TensorDTypeExtensions.TryParseSafeTensorsName(dtypeName, out TensorDType dtype))
        {
            throw CheckpointErrors.Format(name, $"tensor '{tensor}' has unknown or unsupported dtype '{dtypeName}' (supported: F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL).");
        }

        if (!info.TryGetProperty("shape", out JsonElement shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
        {
            throw CheckpointErrors.Format(name, $"safetensors entry '{tensor}' has no 'shape' array.");
        }

        var shape = new long[shapeEl.GetArrayLength()];
        int i = 0;
        foreach (JsonElement d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long dim) || dim < 0)
            {
                throw CheckpointErrors.Format(name, $"tensor '{tensor}' has an invalid shape entry '{d.GetRawText()}'.");
            }

            shape[i++] = dim;
        }

        if (!info.TryGetProperty("data_offsets", out JsonElement offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
        {
            throw CheckpointErrors.Format(name, $"safetensors entry '{tensor}' has no 'data_offsets' [begin, end] pair.");
        }

        if (offEl[0].ValueKind != JsonValueKind.Number || offEl[1].ValueKind != JsonValueKind.Number
            || !offEl[0].TryGetInt64(out long begin) || !offEl[1].TryGetInt64(out long end) || begin < 0 || end < begin)
        {
            throw CheckpointErrors.Format(name, $"tensor '{tensor}' has invalid data_offsets {offEl.GetRawText()}.");
        }

        if (end > bufferLength)
        {
            throw CheckpointErrors.Format(name, $"tensor '{tensor}' data_offsets [{begin}, {end}] run past the end of the {bufferLength}-byte data buffer (truncated file?).");
        }

        long? numel = TensorData.ComputeNumel(shape);
        long expected = numel is { } n && n <= long.MaxValue / dtype.ElementSize() ? n * dtype.ElementSize() : -1;
        if (expected != end - begin)
        {
            throw CheckpointErrors.Format(name, $"tensor '{tensor}' of dtype {dtypeName} and shape [{string.Join(", ", shape)}] needs {(expected < 0 ? "too many" : expected.ToString(System.Globalization.CultureInfo.InvariantCulture))} bytes but data_offsets [{begin}, {end}] span {end - begin}.");
        }

        return (tensor, dtype, shape, begin, end);
    }
}
