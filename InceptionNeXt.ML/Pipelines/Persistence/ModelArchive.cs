using System.IO.Compression;
using System.Text.Json;
using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.Pipelines.Data;

namespace InceptionNeXt.ML.Pipelines.Persistence;

/// <summary>A transformer that can be written into a pipeline zip.</summary>
internal interface ISavableTransformer
{
    /// <summary>The loader name written to the manifest.</summary>
    string StageName { get; }

    /// <summary>Writes the stage's state under its folder.</summary>
    void Save(ModelSaveContext context);
}

/// <summary>Where a stage writes its entries.</summary>
internal sealed class ModelSaveContext(ZipArchive zip, string folder)
{
    public void WriteJson<T>(string name, T value) => WriteBytes(name, JsonSerializer.SerializeToUtf8Bytes(value, ModelArchive.Json));

    public void WriteBytes(string name, ReadOnlySpan<byte> bytes)
    {
        using var stream = zip.CreateEntry($"{folder}/{name}", CompressionLevel.Optimal).Open();
        stream.Write(bytes);
    }

    public void Write(string name, Action<BinaryWriter> write)
    {
        using var stream = zip.CreateEntry($"{folder}/{name}", CompressionLevel.Optimal).Open();
        using var writer = new BinaryWriter(stream);
        write(writer);
    }
}

/// <summary>Where a stage reads its entries from.</summary>
internal sealed class ModelLoadContext(ZipArchive zip, string folder, string archiveName, InferenceOptions? options)
{
    public InferenceOptions? InferenceOptions { get; } = options;

    public string ArchiveName { get; } = archiveName;

    public T ReadJson<T>(string name) =>
        JsonSerializer.Deserialize<T>(ReadBytes(name), ModelArchive.Json) ?? throw new InvalidDataException($"{ArchiveName}: {folder}/{name} is empty.");

    public byte[] ReadBytes(string name)
    {
        using var stream = Entry(name).Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public T Read<T>(string name, Func<BinaryReader, T> read)
    {
        using var stream = Entry(name).Open();
        using var reader = new BinaryReader(stream);
        return read(reader);
    }

    private ZipArchiveEntry Entry(string name) =>
        zip.GetEntry($"{folder}/{name}") ?? throw new InvalidDataException($"{ArchiveName}: entry {folder}/{name} is missing; the file is damaged or from another tool.");
}

/// <summary>
/// One zip file for a whole fitted pipeline (ML.NET's model.zip): a manifest with the input schema and the stage list,
/// and one folder per stage (the featurizer's ONNX model included, so the file is all a consumer needs).
/// </summary>
internal static class ModelArchive
{
    public const string Format = "inceptionnext-pipeline";
    public const int Version = 1;

    internal static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    private static readonly Dictionary<string, Func<ModelLoadContext, ITransformer>> Loaders = new()
    {
        [Transforms.LoadImagesTransformer.Name] = Transforms.LoadImagesTransformer.Load,
        [Transforms.PreprocessImagesTransformer.Name] = Transforms.PreprocessImagesTransformer.Load,
        [Transforms.ImageFeaturizerTransformer.Name] = Transforms.ImageFeaturizerTransformer.Load,
        [Transforms.ImageClassifierTransformer.Name] = Transforms.ImageClassifierTransformer.Load,
        [Transforms.ValueToKeyMappingTransformer.Name] = Transforms.ValueToKeyMappingTransformer.Load,
        [Transforms.KeyToValueMappingTransformer.Name] = Transforms.KeyToValueMappingTransformer.Load,
        [Trainers.MulticlassPredictionTransformer.Name] = Trainers.MulticlassPredictionTransformer.Load,
    };

    public static void Save(ITransformer model, DataViewSchema? inputSchema, string path)
    {
        var stages = model is IStageList chain ? chain.Transformers : [model];
        var manifest = new Manifest(Format, Version, [], inputSchema?.Columns.Select(SchemaEntry.From).ToList());
        var temp = path + ".tmp";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using (var file = File.Create(temp))
        using (var zip = new ZipArchive(file, ZipArchiveMode.Create))
        {
            for (var i = 0; i < stages.Count; i++)
            {
                if (stages[i] is not ISavableTransformer savable)
                    throw new NotSupportedException($"Stage {i} ({stages[i].GetType().Name}) cannot be saved.");
                var folder = $"stages/{i}";
                savable.Save(new ModelSaveContext(zip, folder));
                manifest.Stages.Add(new StageEntry(savable.StageName, folder));
            }
            using var m = zip.CreateEntry("manifest.json").Open();
            JsonSerializer.Serialize(m, manifest, Json);
        }
        File.Move(temp, path, overwrite: true); // a crash mid-write never leaves a half model.zip
    }

    public static TransformerChain<ITransformer> Load(string path, out DataViewSchema? inputSchema, InferenceOptions? options)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model file {path} not found.", path);
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path} is not a pipeline model zip ({e.Message}).", e);
        }
        using (zip)
        {
            Manifest manifest;
            try
            {
                var entry = zip.GetEntry("manifest.json") ?? throw new InvalidDataException($"{path} has no manifest.json; it is not a pipeline saved by this library.");
                using var m = entry.Open();
                manifest = JsonSerializer.Deserialize<Manifest>(m, Json) ?? throw new InvalidDataException($"{path}: empty manifest.");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}: damaged manifest ({e.Message}).", e);
            }
            if (manifest.Format != Format) throw new InvalidDataException($"{path} is a '{manifest.Format}' file, not an {Format}.");
            if (manifest.Version > Version) throw new InvalidDataException($"{path} has pipeline format version {manifest.Version}; this library reads up to {Version}. Update InceptionNeXt.ML.");
            inputSchema = manifest.InputSchema is null ? null : new DataViewSchema(manifest.InputSchema.Select(s => s.ToColumn()));
            var stages = new List<ITransformer>();
            try
            {
                foreach (var s in manifest.Stages)
                {
                    if (!Loaders.TryGetValue(s.Type, out var load))
                        throw new InvalidDataException($"{path}: stage type '{s.Type}' is unknown to this version of InceptionNeXt.ML.");
                    stages.Add(load(new ModelLoadContext(zip, s.Folder, path, options)));
                }
            }
            catch
            {
                foreach (var t in stages) (t as IDisposable)?.Dispose();
                throw;
            }
            return new TransformerChain<ITransformer>(stages);
        }
    }

    private sealed record Manifest(string Format, int Version, List<StageEntry> Stages, List<SchemaEntry>? InputSchema);

    private sealed record StageEntry(string Type, string Folder);

    private sealed record SchemaEntry(string Name, ColumnKind Kind, int VectorSize, List<string>? KeyValues)
    {
        public static SchemaEntry From(SchemaColumn c) => new(c.Name, c.Type.Kind, c.Type.VectorSize, c.Type.Kind == ColumnKind.Key ? [.. c.Type.KeyValues] : null);

        public SchemaColumn ToColumn() => new(Name, Kind switch
        {
            ColumnKind.Vector => ColumnType.Vector(VectorSize),
            ColumnKind.Key => ColumnType.Key(KeyValues ?? []),
            ColumnKind.Text => ColumnType.Text,
            ColumnKind.Single => ColumnType.Single,
            ColumnKind.Int32 => ColumnType.Int32,
            ColumnKind.Boolean => ColumnType.Boolean,
            _ => ColumnType.Image,
        });
    }
}
