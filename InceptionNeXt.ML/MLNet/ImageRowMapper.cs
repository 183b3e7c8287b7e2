using Microsoft.ML;
using Microsoft.ML.Data;

namespace InceptionNeXt.ML.MLNet;

/// <summary>
/// The row-by-row form of an InceptionNeXt transformer, as prediction engines use it: each row's image is run on its
/// own, once, when one of the transformer's columns is first read.
/// </summary>
internal sealed class ImageRowMapper : IRowToRowMapper
{
    private readonly InceptionNeXtImageTransformerBase parent;
    private readonly DataViewSchema.Column image;
    private readonly ImageColumnKind kind;

    public ImageRowMapper(InceptionNeXtImageTransformerBase parent, DataViewSchema inputSchema)
    {
        this.parent = parent;
        InputSchema = inputSchema;
        OutputSchema = parent.GetOutputSchema(inputSchema);
        (image, kind) = ImageColumn.Find(inputSchema, parent.InputColumnName);
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public IEnumerable<DataViewSchema.Column> GetDependencies(IEnumerable<DataViewSchema.Column> dependingColumns)
    {
        var needed = new HashSet<int>();
        foreach (var column in dependingColumns)
            needed.Add(column.Index < InputSchema.Count ? column.Index : image.Index);
        return needed.Order().Select(i => InputSchema[i]).ToArray();
    }

    public DataViewRow GetRow(DataViewRow input, IEnumerable<DataViewSchema.Column> activeColumns)
    {
        ArgumentNullException.ThrowIfNull(input);
        var active = new bool[OutputSchema.Count];
        foreach (var column in activeColumns) active[column.Index] = true;
        return new Row(this, input, active);
    }

    private sealed class Row(ImageRowMapper mapper, DataViewRow input, bool[] active) : DataViewRow
    {
        private Func<Inference.ImageInput>? read;
        private long resultPosition = -1;
        private ImageResult result;

        public override DataViewSchema Schema => mapper.OutputSchema;

        public override long Position => input.Position;

        public override long Batch => input.Batch;

        public override ValueGetter<DataViewRowId> GetIdGetter() => input.GetIdGetter();

        public override bool IsColumnActive(DataViewSchema.Column column) => active[column.Index];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!active[column.Index]) throw new InvalidOperationException($"Column '{column.Name}' was not requested when this row was made.");
            var inputCount = mapper.InputSchema.Count;
            if (column.Index < inputCount) return input.GetGetter<TValue>(input.Schema[column.Index]);
            return mapper.parent.Outputs[column.Index - inputCount].MakeGetter(Current) as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}, not {typeof(TValue).Name}.");
        }

        // Every output column of a row reads the same run, made once per row position.
        private ImageResult Current()
        {
            if (resultPosition == input.Position && input.Position >= 0) return result;
            read ??= ImageColumn.CreateReader(input, mapper.image, mapper.kind, mapper.parent.Options.ImageFolder);
            var (_, rows, error) = mapper.parent.Run([read()]).Single();
            if (error is not null && mapper.parent.OnUnreadableImage == UnreadableImagePolicy.Throw) throw mapper.parent.UnreadableRow(input.Position, error);
            result = new ImageResult(rows, error);
            resultPosition = input.Position;
            return result;
        }
    }
}
