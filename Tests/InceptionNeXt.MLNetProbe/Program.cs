using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

// Usage: InceptionNeXt.MLNetProbe <model.zip> <input column> <image path>...
// Loads the model in this fresh process, transforms one row per path (a text column named <input column>) and prints,
// per row and output column, "row<TAB>column<TAB>values" with floats in round-trip form, so the caller can compare
// bit for bit. Exit code 1 with the exception on stderr when loading or scoring fails.
if (args.Length < 3)
{
    Console.Error.WriteLine("usage: InceptionNeXt.MLNetProbe <model.zip> <input column> <image path>...");
    return 2;
}

try
{
    var ml = new MLContext(seed: 1);
    var model = ml.Model.Load(args[0], out var inputSchema);
    var data = ml.Data.LoadFromEnumerable(args[2..].Select(p => new PathRow { Path = p }),
        SchemaDefinition.Create(typeof(PathRow)).Also(d => d[0].ColumnName = args[1]));
    var scored = model.Transform(data);
    var inputCount = data.Schema.Count;
    using var cursor = scored.GetRowCursor(scored.Schema);
    while (cursor.MoveNext())
        foreach (var column in scored.Schema.Where(c => c.Index >= inputCount && !c.IsHidden))
            Console.WriteLine($"{cursor.Position}\t{column.Name}\t{Format(cursor, column)}");
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine(e);
    return 1;
}

static string Format(DataViewRow row, DataViewSchema.Column column)
{
    switch (column.Type)
    {
        case VectorDataViewType v when v.ItemType == NumberDataViewType.Single:
        {
            var value = default(VBuffer<float>);
            row.GetGetter<VBuffer<float>>(column)(ref value);
            return string.Join(",", value.DenseValues().Select(f => f.ToString("R", CultureInfo.InvariantCulture)));
        }
        case KeyDataViewType:
        {
            uint key = 0;
            row.GetGetter<uint>(column)(ref key);
            return key.ToString(CultureInfo.InvariantCulture);
        }
        default:
        {
            var text = default(ReadOnlyMemory<char>);
            row.GetGetter<ReadOnlyMemory<char>>(column)(ref text);
            return text.ToString();
        }
    }
}

internal sealed class PathRow
{
    public string Path { get; set; } = "";
}

internal static class Extensions
{
    public static T Also<T>(this T value, Action<T> action)
    {
        action(value);
        return value;
    }
}
