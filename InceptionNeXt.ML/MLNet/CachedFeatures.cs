using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using InceptionNeXt.ML.IO;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace InceptionNeXt.ML.MLNet;

/// <summary>
/// Backbone features kept on disk between runs, as ML.NET binary data views (<c>SaveAsBinary</c>/<c>LoadFromBinary</c>):
/// training another head on the same images does not run the backbone again.
/// </summary>
public static class CachedFeatures
{
    /// <summary>
    /// <paramref name="data"/> transformed by <paramref name="featurizer"/>, loaded from <paramref name="cacheDirectory"/>
    /// when the same backbone already featurized the same image files (same paths, sizes and modification times, in the
    /// same order); otherwise transformed, written there (whole, through a temporary file) and loaded back.
    /// </summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="featurizer">A fitted InceptionNeXt featurizer whose input column holds image file paths.</param>
    /// <param name="data">The rows to featurize.</param>
    /// <param name="cacheDirectory">Where the cache files live (created if missing).</param>
    /// <param name="fromCache">True when nothing went through the backbone.</param>
    /// <exception cref="NotSupportedException">The featurizer's input column is not text (paths).</exception>
    public static IDataView Featurize(MLContext mlContext, InceptionNeXtFeaturizingTransformer featurizer, IDataView data, string cacheDirectory, out bool fromCache)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(featurizer);
        ArgumentNullException.ThrowIfNull(data);
        var path = Path.Combine(cacheDirectory, Key(featurizer, data) + ".idv");
        fromCache = File.Exists(path);
        if (!fromCache)
        {
            Directory.CreateDirectory(cacheDirectory);
            var features = featurizer.Transform(data);
            AtomicFile.Write(path, stream => mlContext.Data.SaveAsBinary(features, stream, keepHidden: false));
        }
        return mlContext.Data.LoadFromBinary(path);
    }

    // The backbone's bytes (preprocessing included), the output columns, and every image file's identity.
    private static string Key(InceptionNeXtFeaturizingTransformer featurizer, IDataView data)
    {
        var column = data.Schema.GetColumnOrNull(featurizer.InputColumnName);
        if (column is not { Type: TextDataViewType })
            throw new NotSupportedException($"Cached features need image paths: column '{featurizer.InputColumnName}' is not text.");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(SHA256.HashData(featurizer.ModelBytes));
        var text = new StringBuilder().Append(featurizer.OutputColumnName).Append('\n').Append(featurizer.LogitsColumnName).Append('\n');
        foreach (var relative in data.GetColumn<string>(featurizer.InputColumnName))
        {
            var file = new FileInfo(featurizer.ImageFolder is { } folder ? Path.Combine(folder, relative) : relative);
            text.Append(relative).Append('|').Append(file.Exists ? file.Length.ToString(CultureInfo.InvariantCulture) : "-")
                .Append('|').Append(file.Exists ? file.LastWriteTimeUtc.Ticks.ToString(CultureInfo.InvariantCulture) : "-").Append('\n');
        }
        hash.AppendData(Encoding.UTF8.GetBytes(text.ToString()));
        return Convert.ToHexStringLower(hash.GetHashAndReset().AsSpan(0, 16));
    }
}
