using System.Reflection;
using InceptionNeXt.ML.Inference;

namespace InceptionNeXt.ML.Pipelines.Data;

/// <summary>
/// Maps POCO rows to columns and back: public read/write properties, named by <see cref="ColumnNameAttribute"/> or
/// their own name. Supported: string (Text), float (Single), int (Int32), bool (Boolean), float[] (Vector),
/// <see cref="ImageInput"/> (Image); when reading a view, a uint property reads a key and a string property reads a
/// key's category name.
/// </summary>
internal static class RowMapper<T> where T : class
{
    private static readonly (string Column, PropertyInfo Property, int VectorSize)[] Members =
        typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanRead && p.CanWrite && p.GetCustomAttribute<NoColumnAttribute>() is null)
            .Select(p => (p.GetCustomAttribute<ColumnNameAttribute>()?.Name ?? p.Name, p, p.GetCustomAttribute<VectorTypeAttribute>()?.Size ?? 0))
            .ToArray();

    public static DataView ToDataView(IEnumerable<T> rows)
    {
        var items = rows.ToArray();
        if (Members.Length == 0) throw new ArgumentException($"{typeof(T).Name} has no public read/write properties to map to columns.");
        var columns = new List<DataColumn>();
        foreach (var (name, property, size) in Members)
        {
            var t = property.PropertyType;
            if (t == typeof(string)) columns.Add(new DataColumn<string>(name, ColumnType.Text, items.Select(i => (string?)property.GetValue(i) ?? "").ToArray()));
            else if (t == typeof(float)) columns.Add(new DataColumn<float>(name, ColumnType.Single, items.Select(i => (float)property.GetValue(i)!).ToArray()));
            else if (t == typeof(int)) columns.Add(new DataColumn<int>(name, ColumnType.Int32, items.Select(i => (int)property.GetValue(i)!).ToArray()));
            else if (t == typeof(bool)) columns.Add(new DataColumn<bool>(name, ColumnType.Boolean, items.Select(i => (bool)property.GetValue(i)!).ToArray()));
            else if (t == typeof(ImageInput)) columns.Add(new DataColumn<ImageInput>(name, ColumnType.Image, items.Select(i => (ImageInput)property.GetValue(i)!).ToArray()));
            else if (t == typeof(float[]))
            {
                var values = items.Select(i => (float[]?)property.GetValue(i) ?? []).ToArray();
                var length = size > 0 ? size : values.Length > 0 ? values[0].Length : 0;
                for (var r = 0; r < values.Length; r++)
                    if (values[r].Length != length)
                        throw new ArgumentException($"{typeof(T).Name}.{property.Name}: row {r} has {values[r].Length} values, expected {length}{(size > 0 ? " ([VectorType])" : " (the first row's length)")}.");
                columns.Add(new DataColumn<float[]>(name, ColumnType.Vector(length), values));
            }
            else throw new ArgumentException($"{typeof(T).Name}.{property.Name} is {t.Name}; columns can be string, float, int, bool, float[] or ImageInput. Mark it [NoColumn] to leave it out.");
        }
        return new DataView(columns);
    }

    /// <summary>Creates a reader from <paramref name="schema"/> to new T objects; checks every mapped property against it.</summary>
    public static Func<DataView, int, T> CreateReader(DataViewSchema schema, bool ignoreMissingColumns)
    {
        var setters = new List<Action<DataView, int, T>>();
        foreach (var (name, property, _) in Members)
        {
            var column = schema.Find(name);
            if (column is null)
            {
                if (ignoreMissingColumns) continue;
                throw new SchemaMismatchException(name, $"{typeof(T).Name}.{property.Name} reads column '{name}', which the pipeline's output does not have; it has {schema.Describe()}. Rename the property with [ColumnName] or mark it [NoColumn].");
            }
            var t = property.PropertyType;
            var kind = column.Type.Kind;
            if (t == typeof(string) && kind == ColumnKind.Key)
            {
                var labels = column.Type.KeyValues;
                setters.Add((v, r, o) => { var k = v.GetColumn<uint>(name)[r]; property.SetValue(o, k == 0 ? "" : labels[(int)k - 1]); });
            }
            else if (t == column.Type.ClrType)
                setters.Add((v, r, o) => property.SetValue(o, v.Columns.First(c => c.Name == name).GetBoxedValue(r)));
            else
                throw new SchemaMismatchException(name, $"{typeof(T).Name}.{property.Name} is {t.Name} but column '{name}' is {column.Type} ({column.Type.ClrType.Name}).");
        }
        var ctor = typeof(T).GetConstructor(Type.EmptyTypes)
            ?? throw new ArgumentException($"{typeof(T).Name} needs a public parameterless constructor to be created from rows.");
        return (view, row) =>
        {
            var item = (T)ctor.Invoke(null);
            foreach (var set in setters) set(view, row, item);
            return item;
        };
    }
}
