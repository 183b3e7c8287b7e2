namespace InceptionNeXt.ML.Pipelines.Data;

/// <summary>One column of a <see cref="DataView"/>: stored values, or values computed on access (decoded pixels).</summary>
public abstract class DataColumn
{
    /// <summary>Creates the column.</summary>
    protected DataColumn(string name, ColumnType type, int count)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("Column names must not be empty.", nameof(name));
        Name = name;
        Type = type;
        Count = count;
    }

    /// <summary>Column name.</summary>
    public string Name { get; }

    /// <summary>Column type.</summary>
    public ColumnType Type { get; }

    /// <summary>Number of rows.</summary>
    public int Count { get; }

    /// <summary>The value at <paramref name="row"/>, boxed.</summary>
    public abstract object? GetBoxedValue(int row);

    /// <summary>The same values for the given rows, in that order.</summary>
    public abstract DataColumn SelectRows(IReadOnlyList<int> rows);

    /// <summary>The same values under another name.</summary>
    public abstract DataColumn Rename(string name);
}

/// <summary>A typed column.</summary>
public sealed class DataColumn<T> : DataColumn
{
    private readonly T[]? values;
    private readonly Func<int, T>? getter;

    /// <summary>A stored column; the array is taken, not copied.</summary>
    public DataColumn(string name, ColumnType type, T[] values) : base(name, type, values.Length)
    {
        CheckType(type);
        this.values = values;
    }

    /// <summary>A computed column: <paramref name="getter"/> is called (possibly from many threads) each time a row is read.</summary>
    public DataColumn(string name, ColumnType type, int count, Func<int, T> getter) : base(name, type, count)
    {
        CheckType(type);
        this.getter = getter;
    }

    /// <summary>Whether values are stored (false: computed on access).</summary>
    public bool IsStored => values is not null;

    /// <summary>The value at <paramref name="row"/>.</summary>
    public T this[int row]
    {
        get
        {
            if ((uint)row >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(row), $"Row {row} of column '{Name}' with {Count} rows.");
            return values is not null ? values[row] : getter!(row);
        }
    }

    /// <summary>All values (computing them for a computed column).</summary>
    public T[] ToArray() => values is not null ? (T[])values.Clone() : Enumerable.Range(0, Count).Select(getter!).ToArray();

    /// <inheritdoc />
    public override object? GetBoxedValue(int row) => this[row];

    /// <inheritdoc />
    public override DataColumn SelectRows(IReadOnlyList<int> rows)
    {
        if (values is not null) return new DataColumn<T>(Name, Type, rows.Select(r => values[r]).ToArray());
        var map = rows.ToArray();
        var source = getter!;
        return new DataColumn<T>(Name, Type, map.Length, i => source(map[i]));
    }

    /// <inheritdoc />
    public override DataColumn Rename(string name) =>
        values is not null ? new DataColumn<T>(name, Type, values) : new DataColumn<T>(name, Type, Count, getter!);

    private static void CheckType(ColumnType type)
    {
        if (type.ClrType != typeof(T))
            throw new ArgumentException($"A {type} column holds {type.ClrType.Name} values, not {typeof(T).Name}.", nameof(type));
    }
}
