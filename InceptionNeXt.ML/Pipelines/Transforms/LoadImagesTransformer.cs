using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.Pipelines.Data;
using InceptionNeXt.ML.Pipelines.Persistence;

namespace InceptionNeXt.ML.Pipelines.Transforms;

/// <summary>
/// Turns a text column of image paths into an image column (ML.NET's LoadImages). Files are opened later, by the stage
/// that needs pixels, so a large folder costs no memory here.
/// </summary>
public sealed class LoadImagesTransformer : ITransformer, ISavableTransformer
{
    internal const string Name = "LoadImages";

    internal LoadImagesTransformer(string outputColumnName, string? imageFolder, string inputColumnName)
    {
        OutputColumnName = outputColumnName;
        ImageFolder = imageFolder;
        InputColumnName = inputColumnName;
    }

    /// <summary>The image column written.</summary>
    public string OutputColumnName { get; }

    /// <summary>Folder relative paths are resolved against (null: as given).</summary>
    public string? ImageFolder { get; }

    /// <summary>The path column read.</summary>
    public string InputColumnName { get; }

    string ISavableTransformer.StageName => Name;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        inputSchema.Require("LoadImages", "input", InputColumnName,
            "Give the name of the column that holds image paths (LoadFromImageFolder calls it 'ImagePath').", ColumnKind.Text);
        return inputSchema.With(new SchemaColumn(OutputColumnName, ColumnType.Image));
    }

    /// <inheritdoc />
    public DataView Transform(DataView input)
    {
        GetOutputSchema(input.Schema);
        var paths = input.GetColumn<string>(InputColumnName);
        var images = new ImageInput[input.RowCount];
        for (var i = 0; i < images.Length; i++)
            images[i] = ImageInput.FromFile(ImageFolder is null ? paths[i] : Path.Combine(ImageFolder, paths[i]));
        return input.WithColumn(new DataColumn<ImageInput>(OutputColumnName, ColumnType.Image, images));
    }

    void ISavableTransformer.Save(ModelSaveContext context) => context.WriteJson("settings.json", new Settings(OutputColumnName, ImageFolder, InputColumnName));

    internal static ITransformer Load(ModelLoadContext context)
    {
        var s = context.ReadJson<Settings>("settings.json");
        return new LoadImagesTransformer(s.Output, s.ImageFolder, s.Input);
    }

    private sealed record Settings(string Output, string? ImageFolder, string Input);
}
