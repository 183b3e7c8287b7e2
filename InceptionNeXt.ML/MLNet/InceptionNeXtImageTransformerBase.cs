using InceptionNeXt.ML.Inference;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace InceptionNeXt.ML.MLNet;

/// <summary>
/// Shared part of <see cref="InceptionNeXtFeaturizingTransformer"/> and <see cref="InceptionNeXtScoringTransformer"/>:
/// an exported InceptionNeXt ONNX model run on an image column. <see cref="Transform"/> runs the rows in batches of
/// <see cref="InceptionNeXtImageOptions.BatchSize"/>; a prediction engine runs them one at a time. The model's bytes
/// travel inside the saved model, so <c>mlContext.Model.Load</c> needs nothing but the zip. Thread-safe.
/// </summary>
public abstract class InceptionNeXtImageTransformerBase : ITransformer, IDisposable
{
    private readonly byte[] modelBytes;
    private readonly InceptionNeXtImageOptions options;

    private protected InceptionNeXtImageTransformerBase(IHost host, string inputColumnName, byte[] modelBytes, OnnxImageModel model,
        InceptionNeXtImageOptions options, string[] modelOutputs, ImageOutputColumn[] outputs)
    {
        Host = host;
        InputColumnName = inputColumnName;
        this.modelBytes = modelBytes;
        Model = model;
        this.options = options;
        ModelOutputs = modelOutputs;
        Outputs = outputs;
        var names = outputs.Select(o => o.Name).ToList();
        if (names.Distinct(StringComparer.Ordinal).Count() != names.Count)
            throw new ArgumentOutOfRangeException(nameof(outputs), $"The output column names must differ: {string.Join(", ", names)}.");
    }

    internal IHost Host { get; }

    /// <summary>The ONNX model's bytes, as stored in a saved model (read-only: part of the feature cache's key).</summary>
    internal ReadOnlySpan<byte> ModelBytes => modelBytes;

    /// <summary>The folder relative image paths are under, or null.</summary>
    internal string? ImageFolder => options.ImageFolder;

    /// <summary>The image column read: file paths (text), encoded bytes (a byte vector) or ML.NET images (MLImage).</summary>
    public string InputColumnName { get; }

    /// <summary>The model in use (its metadata, preprocessing and the device it runs on).</summary>
    public OnnxImageModel Model { get; }

    /// <summary>What unreadable rows get.</summary>
    public UnreadableImagePolicy OnUnreadableImage => options.OnUnreadableImage;

    internal InceptionNeXtImageOptions Options => options;

    /// <summary>The model outputs each run asks for; <see cref="ImageResult.Rows"/> holds them in this order.</summary>
    internal string[] ModelOutputs { get; }

    /// <summary>The columns this transformer adds, after the input's.</summary>
    internal ImageOutputColumn[] Outputs { get; }

    /// <summary>Runs <paramref name="inputs"/> through the model, in batches, in order.</summary>
    internal virtual IEnumerable<(ImageInput Input, float[][]? Rows, Exception? Error)> Run(IEnumerable<ImageInput> inputs) =>
        Model.RunImages(inputs, ModelOutputs);

    /// <summary>Always true: each output row depends on its input row only.</summary>
    public bool IsRowToRowMapper => true;

    /// <summary>The input schema with this transformer's columns added (a column of the same name is hidden).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The image column is missing or holds no image.</exception>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        ImageColumn.Find(inputSchema, InputColumnName);
        var builder = new DataViewSchema.Builder();
        // All input columns, hidden ones too, so a column keeps its index: below inputSchema.Count it is the input's own.
        builder.AddColumns(inputSchema);
        foreach (var output in Outputs) builder.AddColumn(output.Name, output.Type, output.Annotations);
        return builder.ToSchema();
    }

    /// <summary>
    /// The input with this transformer's columns, computed lazily in batches as a cursor moves (nothing runs when no
    /// cursor asks for them).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The image column is missing or holds no image.</exception>
    public IDataView Transform(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new ImageBatchDataView(this, input);
    }

    /// <summary>The row-by-row form used by prediction engines.</summary>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        return new ImageRowMapper(this, inputSchema);
    }

    /// <summary>The error a row with an unreadable image raises under <see cref="UnreadableImagePolicy.Throw"/>.</summary>
    internal InvalidOperationException UnreadableRow(long position, Exception error) =>
        new($"Column '{InputColumnName}', row {position}: {error.Message} Set {nameof(InceptionNeXtImageOptions.OnUnreadableImage)} = " +
            $"{nameof(UnreadableImagePolicy)}.{nameof(UnreadableImagePolicy.Skip)} to keep such rows with NaN outputs instead.", error);

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        ctx.CheckAtModel();
        ctx.SetVersionInfo(VersionInfo);
        // The whole ONNX model, length first so a cut-short stream is recognised when loading.
        ctx.SaveBinaryStream(ModelStreamName, w =>
        {
            w.Write(modelBytes.Length);
            w.Write(modelBytes);
        });
        ctx.SaveNonEmptyString(InputColumnName);
        ctx.Writer.Write(options.BatchSize);
        ctx.Writer.Write(options.IntraOpThreads);
        // The default, one thread per core, is saved as 0 so it means the loading machine's cores.
        ctx.Writer.Write(options.PreprocessThreads == Environment.ProcessorCount ? 0 : options.PreprocessThreads);
        ctx.Writer.Write((int)options.OnUnreadableImage);
        ctx.SaveStringOrNull(options.ErrorColumnName);
        ctx.SaveStringOrNull(options.ImageFolder);
        SaveOutputs(ctx);
    }

    /// <summary>This transformer's version stamp in saved models.</summary>
    private protected abstract VersionInfo VersionInfo { get; }

    /// <summary>Writes what the derived transformer adds to the saved settings (its output column names).</summary>
    private protected abstract void SaveOutputs(ModelSaveContext ctx);

    private const string ModelStreamName = "Model.onnx";

    /// <summary>Reads what <see cref="ICanSaveModel.Save"/> wrote before <see cref="SaveOutputs"/>.</summary>
    /// <exception cref="InvalidDataException">The saved model is damaged.</exception>
    private protected static (string InputColumnName, byte[] Model) LoadCommon(ModelLoadContext ctx, InceptionNeXtImageOptions options)
    {
        byte[]? model = null;
        if (!ctx.TryLoadBinaryStream(ModelStreamName, r =>
            {
                var length = r.ReadInt32();
                if (length <= 0) throw new InvalidDataException($"The InceptionNeXt model stored in this ML.NET model declares {length} bytes.");
                model = r.ReadBytes(length);
                if (model.Length != length)
                    throw new InvalidDataException($"The InceptionNeXt model stored in this ML.NET model is truncated: {model.Length:N0} of {length:N0} bytes. Save the model again.");
            }))
            throw new InvalidDataException($"This ML.NET model has no '{ModelStreamName}' entry for its InceptionNeXt transformer; the file is damaged or was not saved by this library.");
        var input = ctx.LoadNonEmptyString();
        options.BatchSize = ctx.Reader.ReadInt32();
        options.IntraOpThreads = ctx.Reader.ReadInt32();
        var threads = ctx.Reader.ReadInt32();
        options.PreprocessThreads = threads == 0 ? Environment.ProcessorCount : threads;
        options.OnUnreadableImage = (UnreadableImagePolicy)ctx.Reader.ReadInt32();
        options.ErrorColumnName = ctx.LoadStringOrNull();
        options.ImageFolder = ctx.LoadStringOrNull();
        return (input, model!);
    }

    /// <summary>
    /// The run settings: the options', with the MLContext's <c>GpuDeviceId</c> and <c>FallbackToCpu</c> where the options
    /// leave the device open (always, for a loaded model).
    /// </summary>
    private protected static InferenceOptions ToInferenceOptions(IHostEnvironment env, InceptionNeXtImageOptions options)
    {
        var context = env as IHostEnvironmentInternal;
        return new InferenceOptions
        {
            GpuDeviceId = options.GpuDeviceId ?? context?.GpuDeviceId,
            FallbackToCpu = options.FallbackToCpu || context?.FallbackToCpu == true,
            IntraOpThreads = options.IntraOpThreads,
            BatchSize = options.BatchSize,
            PreprocessThreads = options.PreprocessThreads,
        };
    }

    /// <summary>Reads a model file for <see cref="ICanSaveModel.Save"/> to store later.</summary>
    private protected static byte[] ReadModelFile(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        return File.Exists(modelPath) ? File.ReadAllBytes(modelPath) : throw new FileNotFoundException($"{modelPath}: model file not found.", modelPath);
    }

    /// <summary>The error column, when the options name one.</summary>
    private protected static IEnumerable<ImageOutputColumn> ErrorColumn(InceptionNeXtImageOptions options) =>
        options.ErrorColumnName is { } name ? [new ErrorOutputColumn(name)] : [];

    /// <summary>Releases the ONNX Runtime session (and writes and closes the feature cache, if any).</summary>
    public void Dispose()
    {
        DisposeCore();
        Model.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases what a derived transformer holds besides the model.</summary>
    private protected virtual void DisposeCore() { }
}
