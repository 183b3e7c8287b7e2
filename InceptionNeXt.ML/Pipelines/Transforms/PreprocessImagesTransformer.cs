using InceptionNeXt.ML.Imaging;
using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.Pipelines.Data;
using InceptionNeXt.ML.Pipelines.Persistence;

namespace InceptionNeXt.ML.Pipelines.Transforms;

/// <summary>
/// Resize, center crop and normalise (timm's eval transform, PIL-exact resampling) into a CHW float vector: ML.NET's
/// ResizeImages + ExtractPixels in one stage, with the per-channel mean/std that ExtractPixels cannot do. The
/// pixels are computed when read, so a view of many images holds no pixel memory.
/// </summary>
public sealed class PreprocessImagesTransformer : ITransformer, ISavableTransformer
{
    internal const string Name = "PreprocessImages";
    private readonly ImagePreprocessor preprocessor;

    internal PreprocessImagesTransformer(string outputColumnName, string inputColumnName, PreprocessOptions options)
    {
        options.Validate();
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
        Options = options;
        preprocessor = new ImagePreprocessor(options);
    }

    /// <summary>The pixel column written (Vector of 3 x size x size).</summary>
    public string OutputColumnName { get; }

    /// <summary>The image column read.</summary>
    public string InputColumnName { get; }

    /// <summary>The transform.</summary>
    public PreprocessOptions Options { get; }

    string ISavableTransformer.StageName => Name;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        inputSchema.Require("PreprocessImages", "input", InputColumnName, "Add Transforms.LoadImages(...) before it to turn paths into images.", ColumnKind.Image);
        return inputSchema.With(new SchemaColumn(OutputColumnName, ColumnType.Vector(preprocessor.TensorLength)));
    }

    /// <inheritdoc />
    public DataView Transform(DataView input)
    {
        GetOutputSchema(input.Schema);
        var images = input.GetColumn<ImageInput>(InputColumnName);
        var length = preprocessor.TensorLength;
        return input.WithColumn(new DataColumn<float[]>(OutputColumnName, ColumnType.Vector(length), input.RowCount, row =>
        {
            var pixels = new float[length];
            images[row].PreprocessInto(preprocessor, pixels);
            return pixels;
        }));
    }

    void ISavableTransformer.Save(ModelSaveContext context) => context.WriteJson("settings.json", new Settings(OutputColumnName, InputColumnName,
        Options.InputSize, Options.CropPct, Options.Interpolation, [.. Options.Mean], [.. Options.Std], Options.Normalize));

    internal static ITransformer Load(ModelLoadContext context)
    {
        var s = context.ReadJson<Settings>("settings.json");
        return new PreprocessImagesTransformer(s.Output, s.Input, new PreprocessOptions
        {
            InputSize = s.InputSize, CropPct = s.CropPct, Interpolation = s.Interpolation, Mean = s.Mean, Std = s.Std, Normalize = s.Normalize,
        });
    }

    private sealed record Settings(string Output, string Input, int InputSize, double CropPct, ResamplingFilter Interpolation, float[] Mean, float[] Std, bool Normalize);
}
