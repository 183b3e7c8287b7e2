using InceptionNeXt.ML.Pipelines.Data;
using InceptionNeXt.ML.Pipelines.Persistence;

namespace InceptionNeXt.ML.Pipelines.Transforms;

/// <summary>Order of the categories a key column learns.</summary>
public enum KeyOrdinality
{
    /// <summary>Sorted by ordinal string comparison (stable class indices, like a folder listing).</summary>
    ByValue,

    /// <summary>In order of first appearance (ML.NET's default).</summary>
    ByOccurrence,
}

/// <summary>Learns the categories of a text column (ML.NET's MapValueToKey).</summary>
public sealed class ValueToKeyMappingEstimator : IEstimator<ValueToKeyMappingTransformer>
{
    private readonly string outputColumnName;
    private readonly string inputColumnName;
    private readonly KeyOrdinality ordinality;

    internal ValueToKeyMappingEstimator(string outputColumnName, string inputColumnName, KeyOrdinality ordinality)
    {
        this.outputColumnName = outputColumnName;
        this.inputColumnName = inputColumnName;
        this.ordinality = ordinality;
    }

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        inputSchema.Require("MapValueToKey", "input", inputColumnName, "Map a text column of labels (LoadFromImageFolder calls it 'Label').", ColumnKind.Text);
        return inputSchema.With(new SchemaColumn(outputColumnName, ColumnType.Key([])));
    }

    /// <inheritdoc />
    public ValueToKeyMappingTransformer Fit(DataView input)
    {
        GetOutputSchema(input.Schema);
        var values = input.GetColumn<string>(inputColumnName).ToArray().Where(v => v.Length > 0).Distinct(StringComparer.Ordinal);
        var keys = (ordinality == KeyOrdinality.ByValue ? values.Order(StringComparer.Ordinal) : values).ToArray();
        if (keys.Length == 0) throw new ArgumentException($"MapValueToKey: column '{inputColumnName}' has no non-empty values to learn.");
        return new ValueToKeyMappingTransformer(outputColumnName, inputColumnName, keys);
    }
}

/// <summary>Maps text to keys (1-based; 0 = a value not seen at Fit time).</summary>
public sealed class ValueToKeyMappingTransformer : ITransformer, ISavableTransformer
{
    internal const string Name = "ValueToKey";
    private readonly Dictionary<string, uint> index;

    internal ValueToKeyMappingTransformer(string outputColumnName, string inputColumnName, IReadOnlyList<string> keyValues)
    {
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
        KeyValues = keyValues;
        index = new Dictionary<string, uint>(StringComparer.Ordinal);
        for (var i = 0; i < keyValues.Count; i++) index[keyValues[i]] = (uint)i + 1;
    }

    /// <summary>The key column written.</summary>
    public string OutputColumnName { get; }

    /// <summary>The text column read.</summary>
    public string InputColumnName { get; }

    /// <summary>The categories, by key - 1.</summary>
    public IReadOnlyList<string> KeyValues { get; }

    string ISavableTransformer.StageName => Name;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        inputSchema.Require("MapValueToKey", "input", InputColumnName, "", ColumnKind.Text);
        return inputSchema.With(new SchemaColumn(OutputColumnName, ColumnType.Key(KeyValues)));
    }

    /// <inheritdoc />
    public DataView Transform(DataView input)
    {
        GetOutputSchema(input.Schema);
        var text = input.GetColumn<string>(InputColumnName);
        var keys = new uint[input.RowCount];
        for (var i = 0; i < keys.Length; i++) keys[i] = index.GetValueOrDefault(text[i]);
        return input.WithColumn(new DataColumn<uint>(OutputColumnName, ColumnType.Key(KeyValues), keys));
    }

    void ISavableTransformer.Save(ModelSaveContext context) => context.WriteJson("settings.json", new Settings(OutputColumnName, InputColumnName, [.. KeyValues]));

    internal static ITransformer Load(ModelLoadContext context)
    {
        var s = context.ReadJson<Settings>("settings.json");
        return new ValueToKeyMappingTransformer(s.Output, s.Input, s.KeyValues);
    }

    private sealed record Settings(string Output, string Input, string[] KeyValues);
}

/// <summary>Maps keys back to their text (ML.NET's MapKeyToValue); key 0 becomes an empty string.</summary>
public sealed class KeyToValueMappingTransformer : ITransformer, ISavableTransformer
{
    internal const string Name = "KeyToValue";

    internal KeyToValueMappingTransformer(string outputColumnName, string inputColumnName)
    {
        OutputColumnName = outputColumnName;
        InputColumnName = inputColumnName;
    }

    /// <summary>The text column written.</summary>
    public string OutputColumnName { get; }

    /// <summary>The key column read.</summary>
    public string InputColumnName { get; }

    string ISavableTransformer.StageName => Name;

    /// <inheritdoc />
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        inputSchema.Require("MapKeyToValue", "input", InputColumnName, "It reads a key column such as the trainer's 'PredictedLabel'.", ColumnKind.Key);
        return inputSchema.With(new SchemaColumn(OutputColumnName, ColumnType.Text));
    }

    /// <inheritdoc />
    public DataView Transform(DataView input)
    {
        var labels = GetOutputSchemaKeyValues(input.Schema);
        var keys = input.GetColumn<uint>(InputColumnName);
        var text = new string[input.RowCount];
        for (var i = 0; i < text.Length; i++) text[i] = keys[i] == 0 ? "" : labels[(int)keys[i] - 1];
        return input.WithColumn(new DataColumn<string>(OutputColumnName, ColumnType.Text, text));
    }

    private IReadOnlyList<string> GetOutputSchemaKeyValues(DataViewSchema schema)
    {
        GetOutputSchema(schema);
        return schema.Find(InputColumnName)!.Type.KeyValues;
    }

    void ISavableTransformer.Save(ModelSaveContext context) => context.WriteJson("settings.json", new Settings(OutputColumnName, InputColumnName));

    internal static ITransformer Load(ModelLoadContext context)
    {
        var s = context.ReadJson<Settings>("settings.json");
        return new KeyToValueMappingTransformer(s.Output, s.Input);
    }

    private sealed record Settings(string Output, string Input);
}
