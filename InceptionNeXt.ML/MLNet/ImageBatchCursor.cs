using InceptionNeXt.ML.Inference;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace InceptionNeXt.ML.MLNet;

/// <summary>
/// A cursor that serves a transformer's outputs batch by batch. It reads the input twice, in step: a look-ahead cursor
/// takes only the image column, <see cref="InceptionNeXtImageOptions.BatchSize"/> rows ahead, into the model's batched
/// run (which decodes the next batch while the current one is inferred); the main cursor serves the input's own columns
/// for the current row, so nothing of theirs is copied or held. Each result is matched to its row by row id. The cost:
/// when the caller also reads the image column itself (an MLImage from LoadImages, say), upstream makes it twice.
/// </summary>
internal sealed class ImageBatchCursor : DataViewRowCursor
{
    private readonly InceptionNeXtImageTransformerBase parent;
    private readonly DataViewRowCursor main;
    private readonly DataViewRowCursor? lookahead;
    private readonly IEnumerator<(ImageInput Input, float[][]? Rows, Exception? Error)>? results;
    private readonly Queue<DataViewRowId> pendingIds = new();
    private readonly ValueGetter<DataViewRowId> mainId;
    private readonly bool[] active;
    private readonly int inputCount;
    private readonly IChannel channel;
    private ImageResult current;

    public ImageBatchCursor(InceptionNeXtImageTransformerBase parent, IDataView input, DataViewSchema schema, IEnumerable<DataViewSchema.Column> columnsNeeded)
    {
        this.parent = parent;
        Schema = schema;
        inputCount = input.Schema.Count;
        active = new bool[schema.Count];
        foreach (var column in columnsNeeded) active[column.Index] = true;
        channel = parent.Host.Start(nameof(ImageBatchCursor));

        main = input.GetRowCursor(input.Schema.Where(c => active[c.Index]));
        mainId = main.GetIdGetter();
        if (active.Skip(inputCount).Any(a => a))
        {
            var (image, kind) = ImageColumn.Find(input.Schema, parent.InputColumnName);
            lookahead = input.GetRowCursor([image]);
            results = parent.Run(ReadAhead(image, kind)).GetEnumerator();
        }
    }

    public override DataViewSchema Schema { get; }

    public override long Position => main.Position;

    public override long Batch => main.Batch;

    public override ValueGetter<DataViewRowId> GetIdGetter() => mainId;

    public override bool IsColumnActive(DataViewSchema.Column column) => active[column.Index];

    public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
    {
        if (!active[column.Index]) throw new InvalidOperationException($"Column '{column.Name}' was not requested when this cursor was made.");
        if (column.Index < inputCount) return main.GetGetter<TValue>(main.Schema[column.Index]);
        return parent.Outputs[column.Index - inputCount].MakeGetter(Current) as ValueGetter<TValue>
            ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}, not {typeof(TValue).Name}.");
    }

    private ImageResult Current() =>
        Position >= 0 ? current : throw new InvalidOperationException("The cursor is not on a row: call MoveNext first.");

    public override bool MoveNext()
    {
        if (!main.MoveNext()) return false;
        if (results is null) return true;
        if (!results.MoveNext())
            throw new InvalidOperationException("The input data view gave fewer rows to a second cursor; it must give the same rows in the same order every time.");
        DataViewRowId id = default;
        mainId(ref id);
        if (!id.Equals(pendingIds.Dequeue()))
            throw new InvalidOperationException("The input data view gave its rows in another order to a second cursor; it must give the same rows in the same order every time.");
        var (_, rows, error) = results.Current;
        current = new ImageResult(rows, error);
        if (error is not null)
        {
            if (parent.OnUnreadableImage == UnreadableImagePolicy.Throw) throw parent.UnreadableRow(Position, error);
            channel.Warning($"Column '{parent.InputColumnName}', row {Position}: skipped ({error.Message})");
        }
        return true;
    }

    private IEnumerable<ImageInput> ReadAhead(DataViewSchema.Column image, ImageColumnKind kind)
    {
        var read = ImageColumn.CreateReader(lookahead!, image, kind, parent.Options.ImageFolder);
        var id = lookahead!.GetIdGetter();
        while (lookahead.MoveNext())
        {
            DataViewRowId rowId = default;
            id(ref rowId);
            pendingIds.Enqueue(rowId);
            yield return read();
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            results?.Dispose();
            lookahead?.Dispose();
            main.Dispose();
            channel.Dispose();
        }
        base.Dispose(disposing);
    }
}
