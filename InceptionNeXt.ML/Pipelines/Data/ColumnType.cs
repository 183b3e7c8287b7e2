namespace InceptionNeXt.ML.Pipelines.Data;

/// <summary>What a column holds.</summary>
public enum ColumnKind
{
    /// <summary>Strings.</summary>
    Text,
    /// <summary>32-bit floats.</summary>
    Single,
    /// <summary>32-bit integers.</summary>
    Int32,
    /// <summary>Booleans.</summary>
    Boolean,
    /// <summary>Fixed-length float vectors (<c>float[]</c>).</summary>
    Vector,
    /// <summary>Category keys as in ML.NET: <c>uint</c>, 1-based, 0 = missing, with the category names.</summary>
    Key,
    /// <summary>Images to decode (<see cref="Inference.ImageInput"/>).</summary>
    Image,
}

/// <summary>The type of a column. Vectors carry their length, keys their category names.</summary>
public sealed record ColumnType
{
    private ColumnType(ColumnKind kind, int vectorSize, IReadOnlyList<string>? keyValues)
    {
        Kind = kind;
        VectorSize = vectorSize;
        KeyValues = keyValues ?? [];
    }

    /// <summary>What the column holds.</summary>
    public ColumnKind Kind { get; }

    /// <summary>Vector length (0 when not a vector, or not known until data is seen).</summary>
    public int VectorSize { get; }

    /// <summary>Category names of a key column, by key - 1.</summary>
    public IReadOnlyList<string> KeyValues { get; }

    /// <summary>Text.</summary>
    public static ColumnType Text { get; } = new(ColumnKind.Text, 0, null);
    /// <summary>Single.</summary>
    public static ColumnType Single { get; } = new(ColumnKind.Single, 0, null);
    /// <summary>Int32.</summary>
    public static ColumnType Int32 { get; } = new(ColumnKind.Int32, 0, null);
    /// <summary>Boolean.</summary>
    public static ColumnType Boolean { get; } = new(ColumnKind.Boolean, 0, null);
    /// <summary>Image.</summary>
    public static ColumnType Image { get; } = new(ColumnKind.Image, 0, null);

    /// <summary>A float vector of <paramref name="size"/> (0 = size unknown).</summary>
    public static ColumnType Vector(int size) => new(ColumnKind.Vector, size, null);

    /// <summary>A key over <paramref name="values"/>.</summary>
    public static ColumnType Key(IReadOnlyList<string> values) => new(ColumnKind.Key, 0, values);

    /// <summary>The .NET type of one value.</summary>
    public Type ClrType => Kind switch
    {
        ColumnKind.Text => typeof(string),
        ColumnKind.Single => typeof(float),
        ColumnKind.Int32 => typeof(int),
        ColumnKind.Boolean => typeof(bool),
        ColumnKind.Vector => typeof(float[]),
        ColumnKind.Key => typeof(uint),
        _ => typeof(Inference.ImageInput),
    };

    /// <inheritdoc />
    public bool Equals(ColumnType? other) =>
        other is not null && Kind == other.Kind && VectorSize == other.VectorSize && KeyValues.SequenceEqual(other.KeyValues);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Kind, VectorSize, KeyValues.Count);

    /// <summary>ML.NET-style name: <c>Text</c>, <c>Vector&lt;Single, 320&gt;</c>, <c>Key&lt;UInt32, 0-9&gt;</c>.</summary>
    public override string ToString() => Kind switch
    {
        ColumnKind.Vector => VectorSize > 0 ? $"Vector<Single, {VectorSize}>" : "Vector<Single>",
        ColumnKind.Key => $"Key<UInt32, 0-{KeyValues.Count}>",
        _ => Kind.ToString(),
    };
}
