using Microsoft.ML;

namespace InceptionNeXt.ML.MLNet;

/// <summary>
/// What <see cref="InceptionNeXtImageTransformerBase.Transform"/> returns: the input's columns plus the transformer's,
/// whose values a <see cref="ImageBatchCursor"/> computes a batch at a time.
/// </summary>
internal sealed class ImageBatchDataView : IDataView
{
    private readonly InceptionNeXtImageTransformerBase parent;
    private readonly IDataView input;

    public ImageBatchDataView(InceptionNeXtImageTransformerBase parent, IDataView input)
    {
        this.parent = parent;
        this.input = input;
        Schema = parent.GetOutputSchema(input.Schema);
    }

    public DataViewSchema Schema { get; }

    // The cursor reads the input twice in step (see ImageBatchCursor), which needs the same order both times: the input's
    // natural order. ML.NET shuffles such a view by buffering it (ShuffleRows) instead.
    public bool CanShuffle => false;

    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new ImageBatchCursor(parent, input, Schema, columnsNeeded);

    // One cursor: batching already parallelises the work that matters (decoding and ONNX Runtime).
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];
}
