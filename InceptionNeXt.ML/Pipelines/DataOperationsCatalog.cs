using InceptionNeXt.ML.Imaging;
using InceptionNeXt.ML.Pipelines.Data;

namespace InceptionNeXt.ML.Pipelines;

/// <summary>A train/test split.</summary>
/// <param name="TrainSet">Rows to fit on.</param>
/// <param name="TestSet">Held-out rows.</param>
public sealed record TrainTestData(DataView TrainSet, DataView TestSet);

/// <summary>Loading data into views, converting views back to objects, and splitting.</summary>
public sealed class DataOperationsCatalog
{
    private readonly InceptionNeXtContext context;

    internal DataOperationsCatalog(InceptionNeXtContext context) => this.context = context;

    /// <summary>
    /// A folder with one subfolder per label (<c>root/cat/*.jpg</c>, <c>root/dog/*.png</c>, any depth below the label
    /// folder): a view with the image path and the label (the subfolder's name), in sorted order.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="ArgumentException">No images, or images outside any label folder.</exception>
    public DataView LoadFromImageFolder(string folder, string imagePathColumnName = "ImagePath", string labelColumnName = "Label")
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Image folder {folder} does not exist.");
        var root = Path.GetFullPath(folder);
        var files = ImageFiles.Enumerate(root).ToArray();
        if (files.Length == 0) throw new ArgumentException($"{folder} holds no images (.jpg, .jpeg, .png); put them in one subfolder per label.", nameof(folder));
        var loose = files.Where(f => Path.GetDirectoryName(f) == root.TrimEnd(Path.DirectorySeparatorChar)).ToArray();
        if (loose.Length > 0)
            throw new ArgumentException($"{folder} has {loose.Length} image(s) directly inside it (e.g. {Path.GetFileName(loose[0])}); every image must be in a subfolder named after its label.", nameof(folder));
        var labels = files.Select(f => Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar)[0]).ToArray();
        return new DataView([
            new DataColumn<string>(imagePathColumnName, ColumnType.Text, files),
            new DataColumn<string>(labelColumnName, ColumnType.Text, labels),
        ]);
    }

    /// <summary>
    /// A CSV or TSV file (e.g. <c>path,label</c>) as text columns. The separator is a tab for <c>.tsv</c> files and a
    /// comma otherwise unless given; fields may be quoted ("a, b"). Without a header the columns are Column0, Column1...
    /// Relative image paths are resolved by <see cref="TransformsCatalog.LoadImages"/>'s imageFolder (e.g. the file's folder).
    /// </summary>
    public DataView LoadFromTextFile(string path, char? separator = null, bool hasHeader = true)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Data file {path} not found.", path);
        var sep = separator ?? (Path.GetExtension(path).Equals(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',');
        var lines = File.ReadAllLines(path).Select((l, i) => (Line: l, Number: i + 1)).Where(x => x.Line.Trim().Length > 0).ToList();
        if (lines.Count == 0 || (hasHeader && lines.Count == 1)) throw new ArgumentException($"{path} has no data rows.", nameof(path));
        var header = hasHeader ? SplitLine(lines[0].Line, sep) : null;
        var rows = (hasHeader ? lines.Skip(1) : lines).Select(x => (Fields: SplitLine(x.Line, sep), x.Number)).ToList();
        var width = header?.Length ?? rows[0].Fields.Length;
        foreach (var (fields, number) in rows)
            if (fields.Length != width)
                throw new InvalidDataException($"{path}:{number}: {fields.Length} fields, expected {width} (separator '{(sep == '\t' ? "\\t" : sep.ToString())}').");
        var names = header ?? Enumerable.Range(0, width).Select(i => $"Column{i}").ToArray();
        var duplicate = names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"{path}: column '{duplicate.Key}' appears twice in the header.");
        return new DataView(names.Select((n, c) => (DataColumn)new DataColumn<string>(n, ColumnType.Text, rows.Select(r => r.Fields[c]).ToArray())));
    }

    /// <summary>In-memory rows from objects (see <see cref="ColumnNameAttribute"/>, <see cref="VectorTypeAttribute"/>).</summary>
    public DataView LoadFromEnumerable<T>(IEnumerable<T> rows) where T : class => RowMapper<T>.ToDataView(rows);

    /// <summary>A view's rows as objects; properties without a column are left at their defaults when <paramref name="ignoreMissingColumns"/>.</summary>
    public IEnumerable<T> CreateEnumerable<T>(DataView data, bool ignoreMissingColumns = false) where T : class
    {
        var reader = RowMapper<T>.CreateReader(data.Schema, ignoreMissingColumns);
        for (var i = 0; i < data.RowCount; i++) yield return reader(data, i);
    }

    /// <summary>
    /// A seeded random split. With <paramref name="stratificationColumnName"/> (e.g. the label), each value is split
    /// in the same proportion and keeps at least one training row.
    /// </summary>
    public TrainTestData TrainTestSplit(DataView data, double testFraction = 0.1, string? stratificationColumnName = null, int? seed = null)
    {
        if (!(testFraction > 0 && testFraction < 1)) throw new ArgumentOutOfRangeException(nameof(testFraction), $"testFraction must be between 0 and 1, got {testFraction}.");
        var random = new Random(seed ?? context.Seed);
        if (stratificationColumnName is not null) data.Schema.Require("TrainTestSplit", "stratification", stratificationColumnName, "", ColumnKind.Text, ColumnKind.Key, ColumnKind.Int32, ColumnKind.Boolean);
        var strata = stratificationColumnName is null ? null : data.Columns.First(c => c.Name == stratificationColumnName);
        var groups = strata is null
            ? [Enumerable.Range(0, data.RowCount).ToArray()]
            : Enumerable.Range(0, data.RowCount).GroupBy(i => Convert.ToString(strata.GetBoxedValue(i), System.Globalization.CultureInfo.InvariantCulture))
                .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.ToArray()).ToArray();
        var train = new List<int>();
        var test = new List<int>();
        foreach (var g in groups)
        {
            var rows = g.ToArray();
            random.Shuffle(rows);
            var n = (int)Math.Round(rows.Length * testFraction);
            if (strata is not null) n = Math.Min(n, rows.Length - 1);
            test.AddRange(rows.Take(n));
            train.AddRange(rows.Skip(n));
        }
        train.Sort();
        test.Sort();
        if (train.Count == 0 || test.Count == 0)
            throw new ArgumentException($"Splitting {data.RowCount} rows with testFraction {testFraction} leaves an empty {(train.Count == 0 ? "train" : "test")} set.");
        return new TrainTestData(data.SelectRows(train), data.SelectRows(test));
    }

    private static string[] SplitLine(string line, char separator)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var ch = line[i];
            if (quoted)
            {
                if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"') { field.Append('"'); i++; }
                else if (ch == '"') quoted = false;
                else field.Append(ch);
            }
            else if (ch == '"' && field.Length == 0) quoted = true;
            else if (ch == separator) { fields.Add(field.ToString().Trim()); field.Clear(); }
            else field.Append(ch);
        }
        fields.Add(field.ToString().Trim());
        return [.. fields];
    }
}
