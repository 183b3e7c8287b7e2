using System.IO.Compression;
using System.Text;
using InceptionNeXt.ML.IO;

namespace InceptionNeXt.Training.Checkpoints;

/// <summary>
/// Writes PyTorch zip checkpoints (the format of <c>torch.save</c> since 1.6) that <c>torch.load</c> reads back,
/// without libtorch: <c>archive/data.pkl</c> (protocol 2 pickle), one uncompressed <c>archive/data/N</c> record per
/// tensor, <c>archive/byteorder</c> ("little") and <c>archive/version</c> ("3").
/// </summary>
/// <remarks>
/// Supported tree values: <see cref="StateDict"/> (written as collections.OrderedDict), dictionaries (dict; keys may
/// be strings or other supported scalars), object?[] (tuple), other lists and sequences (list), sets,
/// <see cref="TensorData"/>, <see cref="TensorDType"/> (torch dtype), string, byte[], bool, integers (int), floating
/// point (float) and null (None). The same <see cref="TensorData"/> instance appearing twice shares one storage.
/// </remarks>
public static class PthWriter
{
    private const string Folder = "archive/";

    /// <summary>Saves <paramref name="tree"/> atomically (through a temporary "path.PID.RANDOM.tmp", renamed over any existing file).</summary>
    /// <param name="path">The destination, conventionally .pth or .pt.</param>
    /// <param name="tree">The object to save, e.g. a <see cref="StateDict"/> or a dict such as {"model": sd, "epoch": 3L}.</param>
    /// <exception cref="ArgumentException">The tree holds an unsupported value type or a reference cycle.</exception>
    public static void Save(string path, object tree)
    {
        ArgumentNullException.ThrowIfNull(tree);
        (byte[] pickle, List<TensorData> storages) = PickleWriter.Pickle(tree);
        AtomicFile.Write(path, stream => WriteZip(stream, pickle, storages));
    }

    private static void WriteZip(Stream stream, byte[] pickle, List<TensorData> storages)
    {
        // Fixed timestamp: identical trees give identical files.
        var timestamp = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: Encoding.UTF8);

        void Add(string name, ReadOnlySpan<byte> content)
        {
            ZipArchiveEntry entry = zip.CreateEntry(Folder + name, CompressionLevel.NoCompression);
            entry.LastWriteTime = timestamp;
            using Stream s = entry.Open();
            s.Write(content);
        }

        Add("data.pkl", pickle);
        Add("byteorder", "little"u8);
        for (int i = 0; i < storages.Count; i++)
        {
            Add("data/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), storages[i].Data);
        }

        Add("version", "3\n"u8);
    }
}
