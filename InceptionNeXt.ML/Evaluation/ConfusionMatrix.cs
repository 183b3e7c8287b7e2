using System.Collections.ObjectModel;
using System.Globalization;
using System.Net;
using System.Text;

namespace InceptionNeXt.ML.Evaluation;

/// <summary>
/// Counts of examples by [actual class, predicted class], with the class names; rows are the truth. Immutable.
/// Renders as an aligned text table (like ML.NET's) or an HTML fragment.
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly int[] _counts; // row-major [actual, predicted]

    /// <summary>Creates a matrix from <paramref name="counts"/> [actual, predicted] (copied).</summary>
    /// <exception cref="ArgumentException">The matrix is not square, does not match the labels, or holds a negative count.</exception>
    public ConfusionMatrix(int[,] counts, IReadOnlyList<string> classLabels)
    {
        ArgumentNullException.ThrowIfNull(counts);
        ArgumentNullException.ThrowIfNull(classLabels);
        int n = classLabels.Count;
        if (n == 0) throw new ArgumentException("A confusion matrix needs at least one class.", nameof(classLabels));
        if (counts.GetLength(0) != n || counts.GetLength(1) != n)
            throw new ArgumentException($"Counts are {counts.GetLength(0)}x{counts.GetLength(1)} but there are {n} class labels.", nameof(counts));
        _counts = new int[n * n];
        var labels = new string[n];
        for (var a = 0; a < n; a++)
        {
            labels[a] = classLabels[a] ?? throw new ArgumentException($"Class label {a} is null.", nameof(classLabels));
            for (var p = 0; p < n; p++)
            {
                if (counts[a, p] < 0) throw new ArgumentException($"Count [{a}, {p}] is negative ({counts[a, p]}).", nameof(counts));
                _counts[a * n + p] = counts[a, p];
            }
        }

        ClassLabels = Array.AsReadOnly(labels);
        var rows = new IReadOnlyList<int>[n];
        var precision = new double[n];
        var recall = new double[n];
        for (var c = 0; c < n; c++)
        {
            rows[c] = Array.AsReadOnly(_counts[(c * n)..((c + 1) * n)]);
            int actual = ActualCount(c), predicted = PredictedCount(c), hit = this[c, c];
            precision[c] = predicted == 0 ? 0 : (double)hit / predicted;
            recall[c] = actual == 0 ? 0 : (double)hit / actual;
            Total += actual;
        }

        Counts = Array.AsReadOnly(rows);
        PerClassPrecision = Array.AsReadOnly(precision);
        PerClassRecall = Array.AsReadOnly(recall);
    }

    /// <summary>Number of classes (rows and columns).</summary>
    public int ClassCount => ClassLabels.Count;

    /// <summary>Class names, by index.</summary>
    public ReadOnlyCollection<string> ClassLabels { get; }

    /// <summary>Rows of counts: <c>Counts[actual][predicted]</c>.</summary>
    public ReadOnlyCollection<IReadOnlyList<int>> Counts { get; }

    /// <summary>Per class: correct predictions over predictions of that class (0 when never predicted).</summary>
    public ReadOnlyCollection<double> PerClassPrecision { get; }

    /// <summary>Per class: correct predictions over examples of that class (0 when it has none).</summary>
    public ReadOnlyCollection<double> PerClassRecall { get; }

    /// <summary>Total number of examples.</summary>
    public int Total { get; }

    /// <summary>Number of examples of class <paramref name="actual"/> predicted as <paramref name="predicted"/>.</summary>
    public int this[int actual, int predicted]
    {
        get
        {
            if ((uint)actual >= (uint)ClassCount) throw new ArgumentOutOfRangeException(nameof(actual));
            if ((uint)predicted >= (uint)ClassCount) throw new ArgumentOutOfRangeException(nameof(predicted));
            return _counts[actual * ClassCount + predicted];
        }
    }

    /// <summary>Examples whose true class is <paramref name="classIndex"/> (the row sum).</summary>
    public int ActualCount(int classIndex)
    {
        var sum = 0;
        for (var p = 0; p < ClassCount; p++) sum += this[classIndex, p];
        return sum;
    }

    /// <summary>Examples predicted as <paramref name="classIndex"/> (the column sum).</summary>
    public int PredictedCount(int classIndex)
    {
        var sum = 0;
        for (var a = 0; a < ClassCount; a++) sum += this[a, classIndex];
        return sum;
    }

    /// <summary>
    /// An aligned text table: rows are the truth with each row's recall at the end, columns are predictions,
    /// and the last line gives each column's precision.
    /// </summary>
    public string ToText()
    {
        var inv = CultureInfo.InvariantCulture;
        int n = ClassCount;
        int head = Math.Max("PREDICTED".Length, ClassLabels.Max(l => l.Length));
        int maxCount = _counts.Max();
        int cell = Math.Max(6, Math.Max(ClassLabels.Max(l => l.Length), maxCount.ToString(inv).Length));
        string rule = new string(' ', head) + " ||" + new string('=', n * (cell + 3));

        var sb = new StringBuilder();
        sb.AppendLine("Confusion table (rows: truth, columns: predicted)");
        sb.AppendLine(rule);
        sb.Append("PREDICTED".PadRight(head)).Append(" ||");
        foreach (string label in ClassLabels) sb.Append(' ').Append(label.PadLeft(cell)).Append(" |");
        sb.AppendLine(" Recall");
        sb.AppendLine("TRUTH".PadRight(head) + rule[head..]);
        for (var a = 0; a < n; a++)
        {
            sb.Append(ClassLabels[a].PadLeft(head)).Append(" ||");
            for (var p = 0; p < n; p++) sb.Append(' ').Append(this[a, p].ToString(inv).PadLeft(cell)).Append(" |");
            sb.Append(' ').AppendLine(PerClassRecall[a].ToString("F4", inv));
        }

        sb.AppendLine(rule);
        sb.Append("Precision".PadRight(head)).Append(" ||");
        foreach (double precision in PerClassPrecision) sb.Append(' ').Append(precision.ToString("F4", inv).PadLeft(cell)).Append(" |");
        sb.AppendLine();
        return sb.ToString();
    }

    /// <summary>
    /// A self-contained HTML <c>&lt;table&gt;</c> fragment (inline styles only) for a report: each cell is shaded by its
    /// share of the row (blue on the diagonal, orange off it), with per-row recall and a precision row. Labels are escaped.
    /// </summary>
    public string ToHtml()
    {
        var inv = CultureInfo.InvariantCulture;
        const string Th = "padding:3px 8px;border:1px solid #ccc;background:#f4f4f4;font-weight:600";
        const string Td = "padding:3px 8px;border:1px solid #ccc;text-align:right";
        int n = ClassCount;
        var sb = new StringBuilder();
        sb.AppendLine("<table style=\"border-collapse:collapse;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px\">");
        sb.AppendLine("<caption style=\"caption-side:top;text-align:left;font-weight:600;padding:4px 0\">Confusion matrix (rows: truth, columns: predicted)</caption>");
        sb.Append("<thead><tr><th style=\"").Append(Th).Append("\">truth \\ predicted</th>");
        foreach (string label in ClassLabels) sb.Append("<th style=\"").Append(Th).Append("\">").Append(Encode(label)).Append("</th>");
        sb.Append("<th style=\"").Append(Th).AppendLine("\">Recall</th></tr></thead>");
        sb.AppendLine("<tbody>");
        for (var a = 0; a < n; a++)
        {
            int rowTotal = ActualCount(a);
            sb.Append("<tr><th style=\"").Append(Th).Append(";text-align:right\">").Append(Encode(ClassLabels[a])).Append("</th>");
            for (var p = 0; p < n; p++)
            {
                int count = this[a, p];
                double share = rowTotal == 0 ? 0 : (double)count / rowTotal;
                string rgb = a == p ? "31,119,180" : "255,127,14";
                string ink = share > 0.55 ? "#fff" : "#000";
                string title = $"{ClassLabels[a]} predicted as {ClassLabels[p]}: {count} of {rowTotal} ({(share * 100).ToString("F1", inv)}%)";
                sb.Append("<td style=\"").Append(Td).Append(";background:rgba(").Append(rgb).Append(',')
                  .Append(share.ToString("0.###", inv)).Append(");color:").Append(ink).Append("\" title=\"").Append(Encode(title)).Append("\">")
                  .Append(count.ToString(inv)).Append("</td>");
            }

            sb.Append("<td style=\"").Append(Td).Append("\">").Append(PerClassRecall[a].ToString("F4", inv)).AppendLine("</td></tr>");
        }

        sb.Append("<tr><th style=\"").Append(Th).Append(";text-align:right\">Precision</th>");
        foreach (double precision in PerClassPrecision) sb.Append("<td style=\"").Append(Td).Append("\">").Append(precision.ToString("F4", inv)).Append("</td>");
        sb.Append("<td style=\"").Append(Td).AppendLine("\"></td></tr>");
        sb.AppendLine("</tbody>");
        sb.AppendLine("</table>");
        return sb.ToString();
    }

    internal static string Encode(string text) => WebUtility.HtmlEncode(text);
}
