using InceptionNeXt.ML.Caching;
using InceptionNeXt.ML.Inference;

namespace InceptionNeXt.ML.MLNet;

/// <summary>
/// Runs images through a model with an on-disk <see cref="FeatureCache"/> in front: an image whose key is cached
/// (a file by full path, length and modification time; encoded bytes by their SHA-256) is answered from the cache, the
/// others go to the model in batches and their rows are added. Results come back in input order. Decoded pixels
/// (MLImage columns) and unreadable images are never cached. A cache that cannot be written (a full disk, a read-only
/// folder) does not stop the run: it turns memory-only and the callback hears of it (after every batch from then on;
/// the caller reports it once).
/// </summary>
internal static class CachedImageRunner
{
    /// <summary>
    /// How many answered rows may wait behind a partly filled batch of misses before that batch runs anyway: bounds the
    /// memory held when misses are rare, at the price of a smaller batch.
    /// </summary>
    private const int MaxHeldBatches = 8;

    /// <summary>
    /// The results of <paramref name="inputs"/>, in order; each cached vector is all outputs' rows end to end. When a
    /// write to the cache fails and it turns memory-only, <paramref name="writeFailed"/> is called with the error.
    /// </summary>
    public static IEnumerable<(ImageInput Input, float[][]? Rows, Exception? Error)> Run(OnnxImageModel model, string[] outputs, int[] widths,
        FeatureCache cache, Action<Exception> writeFailed, IEnumerable<ImageInput> inputs)
    {
        var batchSize = model.Options.BatchSize;
        var width = widths.Sum();
        var held = new List<Entry>();
        var misses = 0;
        foreach (var input in inputs)
        {
            var key = KeyOf(input);
            float[][]? rows = null;
            if (key is not null && cache.TryGet(key, out var vector) && vector.Length == width) rows = Split(vector, widths);
            held.Add(new Entry(input, key, rows));
            if (rows is null) misses++;
            if (misses == batchSize || held.Count >= MaxHeldBatches * batchSize || (misses == 0 && held.Count >= batchSize))
            {
                foreach (var result in Drain(model, outputs, cache, writeFailed, held)) yield return result;
                misses = 0;
            }
        }
        foreach (var result in Drain(model, outputs, cache, writeFailed, held)) yield return result;
    }

    // Runs the held misses as one batch, caches what they gave, and hands every held entry back in order. The batch is
    // written to disk before its first row is handed back: a caller may stop reading at any row.
    private static List<(ImageInput, float[][]?, Exception?)> Drain(OnnxImageModel model, string[] outputs, FeatureCache cache,
        Action<Exception> writeFailed, List<Entry> held)
    {
        var missing = held.Where(e => e.Rows is null).Select(e => e.Input).ToArray();
        using var computed = (missing.Length > 0 ? model.RunImages(missing, outputs) : []).GetEnumerator();
        var results = new List<(ImageInput, float[][]?, Exception?)>(held.Count);
        var added = false;
        foreach (var entry in held)
        {
            if (entry.Rows is not null)
            {
                results.Add((entry.Input, entry.Rows, null));
                continue;
            }
            if (!computed.MoveNext()) throw new InvalidOperationException("The model returned fewer results than it was given images.");
            var (input, rows, error) = computed.Current;
            if (rows is not null && entry.Key is not null)
            {
                cache.Put(entry.Key, rows.SelectMany(r => r).ToArray());
                added = true;
            }
            results.Add((input, rows, error));
        }
        held.Clear();
        if (added && !cache.TryFlush()) writeFailed(cache.WriteError!);
        return results;
    }

    /// <summary>The cache key of an input, or null when it is not cacheable (pixels, a known error, a vanished file).</summary>
    private static string? KeyOf(ImageInput input)
    {
        if (input.FilePath is { } path)
        {
            try
            {
                return FeatureCache.FileKey(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                return null; // the model run reports the file's problem
            }
        }
        return input.EncodedBytes.Length > 0 ? FeatureCache.ContentKey(input.EncodedBytes.Span) : null;
    }

    private static float[][] Split(float[] vector, int[] widths)
    {
        var rows = new float[widths.Length][];
        for (int i = 0, offset = 0; i < widths.Length; offset += widths[i], i++) rows[i] = vector.AsSpan(offset, widths[i]).ToArray();
        return rows;
    }

    private readonly record struct Entry(ImageInput Input, string? Key, float[][]? Rows);
}
