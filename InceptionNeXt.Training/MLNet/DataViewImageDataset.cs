using InceptionNeXt.ML.Imaging;
using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.MLNet;
using InceptionNeXt.Training.Data;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace InceptionNeXt.Training.MLNet;

/// <summary>
/// The labelled rows of an IDataView as a training set: an image column (file paths, encoded bytes or MLImage, as the
/// ML.NET component reads them) and a key label column whose key values are the class names. The rows are read once:
/// paths are kept and decoded on each <see cref="Load"/>, bytes are kept encoded and MLImage pixels are copied out (ML.NET
/// reuses the image of a row for the next). Rows whose label is missing (key 0) are left out and counted.
/// </summary>
internal sealed class DataViewImageDataset : IImageDataset
{
    private readonly ImageInput[] inputs;
    private readonly int[] labels;

    /// <param name="data">The rows.</param>
    /// <param name="imageColumn">The image column.</param>
    /// <param name="labelColumn">The key label column.</param>
    /// <param name="imageFolder">The folder relative paths are under, or null.</param>
    /// <param name="classes">The class names, in key order (<see cref="ClassesOf"/>).</param>
    public DataViewImageDataset(IDataView data, string imageColumn, string labelColumn, string? imageFolder, IReadOnlyList<string> classes)
    {
        var (image, kind) = ImageColumn.Find(data.Schema, imageColumn);
        var label = data.Schema[labelColumn];
        Classes = classes;
        var inputList = new List<ImageInput>();
        var labelList = new List<int>();
        using var cursor = data.GetRowCursor([image, label]);
        var read = ImageColumn.CreateReader(cursor, image, kind, imageFolder);
        var getLabel = cursor.GetGetter<uint>(label);
        uint key = 0;
        while (cursor.MoveNext())
        {
            getLabel(ref key);
            if (key == 0 || key > classes.Count)
            {
                MissingLabels++;
                continue;
            }
            inputList.Add(read());
            labelList.Add((int)key - 1);
        }
        inputs = [.. inputList];
        labels = [.. labelList];
    }

    /// <summary>Rows left out because their label was missing.</summary>
    public long MissingLabels { get; }

    /// <inheritdoc />
    public int Count => inputs.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> Classes { get; }

    /// <inheritdoc />
    public int GetLabel(int index) => labels[index];

    /// <inheritdoc />
    public string GetName(int index) => inputs[index].Name;

    /// <inheritdoc />
    public RgbImage Load(int index)
    {
        var input = inputs[index];
        if (input.Error is { } error) throw error;
        if (input.Pixels is { } pixels) return pixels;
        if (input.FilePath is { } path) return ImageDecoder.Default.Decode(path);
        return ImageDecoder.Default.Decode(input.EncodedBytes.Span, input.Name);
    }

    /// <summary>
    /// The class names of key column <paramref name="labelColumn"/>: its key values as text, or "1".."N" when it has none.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The column is missing or is not a key (the message says how to make one).</exception>
    public static IReadOnlyList<string> ClassesOf(DataViewSchema schema, string labelColumn)
    {
        if (schema.GetColumnOrNull(labelColumn) is not { } column)
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"No label column '{labelColumn}'; the data has {string.Join(", ", schema.Select(c => $"'{c.Name}' ({c.Type})"))}. Set LabelColumnName.");
        if (column.Type is not KeyDataViewType key || key.Count is 0 or > int.MaxValue || key.RawType != typeof(uint))
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"Label column '{labelColumn}' is {column.Type}, expected a key of known count. Map the labels to keys first: " +
                $"mlContext.Transforms.Conversion.MapValueToKey(\"{labelColumn}\").");
        var count = (int)key.Count;
        // MapValueToKey keeps the original values as key values: text, or numbers when the labels were numbers.
        var list = column.Annotations.Schema.GetColumnOrNull(KeyValuesKind) is { Type: VectorDataViewType { ItemType: var item } }
            ? item switch
            {
                TextDataViewType => KeyValues<ReadOnlyMemory<char>>(column, v => v.ToString()),
                _ when item.RawType == typeof(int) => KeyValues<int>(column, v => v.ToString(Invariant)),
                _ when item.RawType == typeof(uint) => KeyValues<uint>(column, v => v.ToString(Invariant)),
                _ when item.RawType == typeof(long) => KeyValues<long>(column, v => v.ToString(Invariant)),
                _ when item.RawType == typeof(float) => KeyValues<float>(column, v => v.ToString(Invariant)),
                _ when item.RawType == typeof(double) => KeyValues<double>(column, v => v.ToString(Invariant)),
                _ when item.RawType == typeof(bool) => KeyValues<bool>(column, v => v ? "true" : "false"),
                _ => null,
            }
            : null;
        return list is { Length: var n } && n == count ? list : Enumerable.Range(1, count).Select(i => i.ToString(Invariant)).ToArray();
    }

    // ML.NET's annotation kind of a key column's values (AnnotationUtils.Kinds.KeyValues, internal there).
    private const string KeyValuesKind = "KeyValues";

    private static readonly System.Globalization.CultureInfo Invariant = System.Globalization.CultureInfo.InvariantCulture;

    private static string[] KeyValues<T>(DataViewSchema.Column column, Func<T, string> format)
    {
        var values = default(VBuffer<T>);
        column.Annotations.GetValue(KeyValuesKind, ref values);
        return values.DenseValues().Select(format).ToArray();
    }
}
