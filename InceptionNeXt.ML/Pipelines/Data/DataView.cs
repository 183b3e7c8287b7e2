namespace InceptionNeXt.ML.Pipelines.Data;

/// <summary>
/// An immutable table of typed columns, the data that flows through a pipeline (ML.NET's IDataView, in memory).
/// Transformers return a new view with columns added; the input view is never changed.
/// </summary>
public sealed class DataView
{
    private readonly DataColumn[] columns;

    /// <summary>Creates a view; all columns must have the same row count.</summary>
    public DataView(IEnumerable<DataColumn> columns)
    {
        var list = new List<DataColumn>();
        foreach (var c in columns)
        {
            list.RemoveAll(x => x.Name == c.Name);
            list.Add(c);
        }
        if (list.Count > 0 && list.Any(c => c.Count != list[0].Count))
            throw new ArgumentException("Columns have different row counts: " + string.Join(", ", list.Select(c => $"{c.Name} {c.Count}")));
        this.columns = [.. list];
        RowCount = list.Count > 0 ? list[0].Count : 0;
        Schema = new DataViewSchema(list.Select(c => new SchemaColumn(c.Name, c.Type)));
    }

    /// <summary>The columns' names and types.</summary>
    public DataViewSchema Schema { get; }

    /// <summary>Number of rows.</summary>
    public int RowCount { get; }

    /// <summary>All columns.</summary>
    public IReadOnlyList<DataColumn> Columns => columns;

    /// <summary>The column <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such column, or it holds another type.</exception>
    public DataColumn<T> GetColumn<T>(string name)
    {
        var column = Array.Find(columns, c => c.Name == name)
            ?? throw new SchemaMismatchException(name, $"Column '{name}' not found; the data has {Schema.Describe()}.");
        return column as DataColumn<T>
            ?? throw new SchemaMismatchException(name, $"Column '{name}' is {column.Type}, which holds {column.Type.ClrType.Name}, not {typeof(T).Name}.");
    }

    /// <summary>A view with <paramref name="column"/> added (replacing a column of the same name).</summary>
    public DataView WithColumn(DataColumn column) => new(columns.Append(column));

    /// <summary>A view of the given rows, in that order.</summary>
    public DataView SelectRows(IReadOnlyList<int> rows)
    {
        foreach (var r in rows)
            if ((uint)r >= (uint)RowCount) throw new ArgumentOutOfRangeException(nameof(rows), $"Row {r} of a view with {RowCount} rows.");
        return new DataView(columns.Select(c => c.SelectRows(rows)));
    }

    /// <summary>The first <paramref name="count"/> rows as text, for a quick look (ML.NET's Preview).</summary>
    public string Preview(int count = 5)
    {
        var lines = new List<string> { string.Join("\t", columns.Select(c => c.Name)) };
        for (var r = 0; r < Math.Min(count, RowCount); r++)
            lines.Add(string.Join("\t", columns.Select(c => Format(c, r))));
        return string.Join(Environment.NewLine, lines);
    }

    private static string Format(DataColumn column, int row)
    {
        if (column is DataColumn<float[]> v && v.IsStored)
        {
            var values = v[row];
            return "[" + string.Join(", ", values.Take(4).Select(x => x.ToString("G4", System.Globalization.CultureInfo.InvariantCulture))) + (values.Length > 4 ? $", ... ({values.Length})]" : "]");
        }
        if (column is DataColumn<float[]>) return "(computed)";
        if (column is DataColumn<uint> key && column.Type.Kind == ColumnKind.Key)
            return key[row] == 0 ? "(missing)" : $"{key[row]}:{column.Type.KeyValues[(int)key[row] - 1]}";
        return Convert.ToString(column.GetBoxedValue(row), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }
}
