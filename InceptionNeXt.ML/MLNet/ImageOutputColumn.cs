using Microsoft.ML;
using Microsoft.ML.Data;

namespace InceptionNeXt.ML.MLNet;

/// <summary>What the model gave for one row: one float row per model output, or why the image could not be read.</summary>
internal readonly record struct ImageResult(float[][]? Rows, Exception? Error);

/// <summary>
/// One column an InceptionNeXt transformer adds: its name, type and annotations, and a getter that turns the row's
/// <see cref="ImageResult"/> into the column's value (missing values when the image was unreadable).
/// </summary>
internal abstract class ImageOutputColumn(string name, DataViewType type)
{
    public string Name { get; } = name;

    public DataViewType Type { get; } = type;

    /// <summary>The annotations (slot names, key values) the column carries.</summary>
    public virtual DataViewSchema.Annotations Annotations => DataViewSchema.Annotations.Empty;

    /// <summary>The column as an estimator's output schema shape shows it.</summary>
    public abstract SchemaShape.Column Shape { get; }

    /// <summary>A <c>ValueGetter</c> of the column's type reading <paramref name="current"/> (computed on demand for the current row).</summary>
    public abstract Delegate MakeGetter(Func<ImageResult> current);

    /// <summary>Builds the shape of an annotation set (the kinds and types only).</summary>
    private protected static SchemaShape AnnotationShape(DataViewSchema.Annotations annotations) =>
        new(annotations.Schema.Select(c => new SchemaShape.Column(c.Name,
            c.Type is VectorDataViewType ? SchemaShape.Column.VectorKind.Vector : SchemaShape.Column.VectorKind.Scalar,
            c.Type.GetItemType(), c.Type is KeyDataViewType)));

    /// <summary>The labels as ML.NET's text vector annotation (slot names or key values).</summary>
    private protected static ValueGetter<VBuffer<ReadOnlyMemory<char>>> LabelGetter(IReadOnlyList<string> labels) =>
        (ref VBuffer<ReadOnlyMemory<char>> dst) =>
        {
            var editor = VBufferEditor.Create(ref dst, labels.Count);
            for (var i = 0; i < labels.Count; i++) editor.Values[i] = labels[i].AsMemory();
            dst = editor.Commit();
        };
}

/// <summary>A known-size float vector: a model output as it is (features, logits) or its softmax (a classifier's score).</summary>
internal sealed class VectorOutputColumn : ImageOutputColumn
{
    private readonly int output;
    private readonly int size;
    private readonly bool softmax;
    private readonly DataViewSchema.Annotations annotations;

    /// <param name="name">The column.</param>
    /// <param name="output">Which of the model outputs run for each row.</param>
    /// <param name="size">The vector length.</param>
    /// <param name="slotNames">Names of the slots (class labels), or null.</param>
    /// <param name="softmax">Turn the row into probabilities.</param>
    /// <param name="extra">More annotations (a score column's kind), or null.</param>
    public VectorOutputColumn(string name, int output, int size, IReadOnlyList<string>? slotNames, bool softmax, Action<DataViewSchema.Annotations.Builder>? extra = null)
        : base(name, new VectorDataViewType(NumberDataViewType.Single, size))
    {
        this.output = output;
        this.size = size;
        this.softmax = softmax;
        var builder = new DataViewSchema.Annotations.Builder();
        if (slotNames is not null) builder.AddSlotNames(slotNames.Count, LabelGetter(slotNames));
        extra?.Invoke(builder);
        annotations = builder.ToAnnotations();
    }

    public override DataViewSchema.Annotations Annotations => annotations;

    public override SchemaShape.Column Shape => new(Name, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, AnnotationShape(annotations));

    public override Delegate MakeGetter(Func<ImageResult> current) => (ValueGetter<VBuffer<float>>)((ref VBuffer<float> dst) =>
    {
        var result = current();
        var editor = VBufferEditor.Create(ref dst, size);
        if (result.Rows is not { } rows) editor.Values.Fill(float.NaN);
        else if (softmax) Softmax(rows[output], editor.Values);
        else rows[output].AsSpan(0, size).CopyTo(editor.Values);
        dst = editor.Commit();
    });

    private static void Softmax(ReadOnlySpan<float> logits, Span<float> probabilities)
    {
        var max = float.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        var sum = 0.0;
        foreach (var v in logits) sum += Math.Exp(v - max);
        for (var i = 0; i < logits.Length; i++) probabilities[i] = (float)(Math.Exp(logits[i] - max) / sum);
    }
}

/// <summary>The most likely class as an ML.NET key (1-based; 0 when the image was unreadable) with the labels as key values.</summary>
internal sealed class PredictedLabelColumn : ImageOutputColumn
{
    private readonly int output;
    private readonly DataViewSchema.Annotations annotations;

    public PredictedLabelColumn(string name, int output, IReadOnlyList<string> labels) : base(name, new KeyDataViewType(typeof(uint), labels.Count))
    {
        this.output = output;
        var builder = new DataViewSchema.Annotations.Builder();
        builder.AddKeyValues(labels.Count, TextDataViewType.Instance, LabelGetter(labels));
        annotations = builder.ToAnnotations();
    }

    public override DataViewSchema.Annotations Annotations => annotations;

    public override SchemaShape.Column Shape => new(Name, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true, AnnotationShape(annotations));

    public override Delegate MakeGetter(Func<ImageResult> current) => (ValueGetter<uint>)((ref uint dst) =>
    {
        var result = current();
        if (result.Rows is not { } rows)
        {
            dst = 0;
            return;
        }
        // The first of equal maxima, as an argmax over the softmax (a monotone map) gives.
        var logits = rows[output];
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        dst = (uint)best + 1;
    });
}

/// <summary>Why the row's image could not be read, or empty text when it was.</summary>
internal sealed class ErrorOutputColumn(string name) : ImageOutputColumn(name, TextDataViewType.Instance)
{
    public override SchemaShape.Column Shape => new(Name, SchemaShape.Column.VectorKind.Scalar, TextDataViewType.Instance, false);

    public override Delegate MakeGetter(Func<ImageResult> current) => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> dst) =>
        dst = current().Error is { } e ? e.Message.AsMemory() : ReadOnlyMemory<char>.Empty);
}
