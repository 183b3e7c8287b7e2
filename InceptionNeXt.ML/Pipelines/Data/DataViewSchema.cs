namespace InceptionNeXt.ML.Pipelines.Data;

/// <summary>One column of a schema.</summary>
/// <param name="Name">Column name (case-sensitive).</param>
/// <param name="Type">Column type.</param>
public sealed record SchemaColumn(string Name, ColumnType Type)
{
    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Type}";
}

/// <summary>
/// The ordered columns of a <see cref="DataView"/>. Estimators check their input columns against it at Fit time, so a
/// wrong name or type fails before any image is read, with a message that says what to change.
/// </summary>
public sealed class DataViewSchema
{
    private readonly SchemaColumn[] columns;

    /// <summary>Creates a schema; a later column of the same name hides an earlier one (as in ML.NET).</summary>
    public DataViewSchema(IEnumerable<SchemaColumn> columns)
    {
        var list = new List<SchemaColumn>();
        foreach (var c in columns)
        {
            if (string.IsNullOrWhiteSpace(c.Name)) throw new ArgumentException("Column names must not be empty.", nameof(columns));
            list.RemoveAll(x => x.Name == c.Name);
            list.Add(c);
        }
        this.columns = [.. list];
    }

    /// <summary>Columns in order.</summary>
    public IReadOnlyList<SchemaColumn> Columns => columns;

    /// <summary>The column named <paramref name="name"/>, or null.</summary>
    public SchemaColumn? Find(string name) => Array.Find(columns, c => c.Name == name);

    /// <summary>A new schema with <paramref name="column"/> added (replacing one of the same name).</summary>
    public DataViewSchema With(SchemaColumn column) => new(columns.Append(column));

    /// <summary>
    /// The column <paramref name="name"/> when it has one of <paramref name="kinds"/>; otherwise a
    /// <see cref="SchemaMismatchException"/> naming the stage, the column, what it found and <paramref name="fix"/>.
    /// </summary>
    public SchemaColumn Require(string stage, string role, string name, string fix, params ColumnKind[] kinds)
    {
        var column = Find(name);
        var wanted = string.Join(" or ", kinds);
        if (column is null)
        {
            var near = columns.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
            var hint = near is not null ? $" Did you mean '{near.Name}' (names are case-sensitive)?" : "";
            throw new SchemaMismatchException(name,
                $"{stage}: {role} column '{name}' not found; the data has {Describe()}.{hint} {fix}".TrimEnd());
        }
        if (!kinds.Contains(column.Type.Kind))
            throw new SchemaMismatchException(name, $"{stage}: {role} column '{name}' is {column.Type}, expected {wanted}. {fix}".TrimEnd());
        return column;
    }

    /// <summary><c>Name: Type, ...</c></summary>
    public string Describe() => columns.Length == 0 ? "no columns" : string.Join(", ", columns.Select(c => c.ToString()));

    /// <inheritdoc />
    public override string ToString() => Describe();
}

/// <summary>A column is missing or has the wrong type for a pipeline stage; the message says what to change.</summary>
public sealed class SchemaMismatchException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public SchemaMismatchException(string columnName, string message) : base(message) => ColumnName = columnName;

    /// <summary>The column at fault.</summary>
    public string ColumnName { get; }
}
