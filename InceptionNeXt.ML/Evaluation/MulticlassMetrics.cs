using System.Collections.ObjectModel;
using System.Globalization;
using System.Text;

namespace InceptionNeXt.ML.Evaluation;

/// <summary>
/// Quality of a multiclass classifier over a labelled set, as ML.NET's <c>MulticlassClassificationMetrics</c>:
/// accuracies, log-loss, top-K accuracy, per-class precision/recall/F1 and the confusion matrix. Immutable;
/// made by <see cref="MulticlassEvaluator.Evaluate"/>.
/// </summary>
public sealed class MulticlassMetrics
{
    internal MulticlassMetrics(
        int count, double microAccuracy, double macroAccuracy, double logLoss, double logLossReduction,
        double[] topKAccuracyForAllK, ClassMetrics[] perClass, ConfusionMatrix confusionMatrix)
    {
        Count = count;
        MicroAccuracy = microAccuracy;
        MacroAccuracy = macroAccuracy;
        LogLoss = logLoss;
        LogLossReduction = logLossReduction;
        TopKAccuracyForAllK = Array.AsReadOnly(topKAccuracyForAllK);
        PerClass = Array.AsReadOnly(perClass);
        ConfusionMatrix = confusionMatrix;
    }

    /// <summary>Number of examples evaluated.</summary>
    public int Count { get; }

    /// <summary>Fraction of examples whose predicted class (the arg-max) is the true one.</summary>
    public double MicroAccuracy { get; }

    /// <summary>Mean of per-class recall over the classes that occur in the labels, so each class weighs the same.</summary>
    public double MacroAccuracy { get; }

    /// <summary>Mean of <c>-ln p(true class)</c>, with the probability clamped below at 1e-15.</summary>
    public double LogLoss { get; }

    /// <summary>
    /// <c>1 - LogLoss / prior log-loss</c>, where the prior predicts every example with the class frequencies of the
    /// labels: 1 is perfect, 0 no better than the prior, negative worse. NaN when only one class occurs (the prior is exact).
    /// </summary>
    public double LogLossReduction { get; }

    /// <summary>The K of <see cref="TopKAccuracy"/>: the K asked for, at most the number of classes.</summary>
    public int TopK => TopKAccuracyForAllK.Count;

    /// <summary>Fraction of examples whose true class is among the <see cref="TopK"/> most probable (ties go to the lower index).</summary>
    public double TopKAccuracy => TopKAccuracyForAllK[^1];

    /// <summary>Top-k accuracy for k = 1..<see cref="TopK"/> (element 0 is k = 1, which equals <see cref="MicroAccuracy"/>).</summary>
    public ReadOnlyCollection<double> TopKAccuracyForAllK { get; }

    /// <summary>Precision, recall, F1 and support of every class, by index.</summary>
    public ReadOnlyCollection<ClassMetrics> PerClass { get; }

    /// <summary>Counts by [actual, predicted].</summary>
    public ConfusionMatrix ConfusionMatrix { get; }

    /// <summary>A plain-text summary: the accuracy lines, a per-class table and the confusion table.</summary>
    public string ToText()
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"Multiclass metrics over {Count} examples, {ConfusionMatrix.ClassCount} classes");
        foreach ((string name, string value) in SummaryRows())
            sb.Append("  ").Append((name + ":").PadRight(22)).AppendLine(value);

        int labelWidth = Math.Max("Class".Length, PerClass.Max(c => c.Label.Length));
        sb.AppendLine();
        sb.Append("  ").Append("Class".PadRight(labelWidth)).AppendLine("  Precision     Recall         F1    Support");
        foreach (ClassMetrics c in PerClass)
        {
            sb.Append("  ").Append(c.Label.PadRight(labelWidth))
              .Append(c.Precision.ToString("F4", inv).PadLeft(11))
              .Append(c.Recall.ToString("F4", inv).PadLeft(11))
              .Append(c.F1.ToString("F4", inv).PadLeft(11))
              .AppendLine(c.Support.ToString(inv).PadLeft(11));
        }

        sb.AppendLine();
        sb.Append(ConfusionMatrix.ToText());
        return sb.ToString();
    }

    /// <summary>A self-contained HTML <c>&lt;section&gt;</c> for a report: summary table, per-class table and the confusion matrix. Labels are escaped.</summary>
    public string ToHtml()
    {
        var inv = CultureInfo.InvariantCulture;
        const string Table = "border-collapse:collapse;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;margin:6px 0 14px";
        const string Th = "padding:3px 8px;border:1px solid #ccc;background:#f4f4f4;font-weight:600;text-align:left";
        const string Td = "padding:3px 8px;border:1px solid #ccc;text-align:right";
        var sb = new StringBuilder();
        sb.AppendLine("<section style=\"font-family:system-ui,sans-serif\">");
        sb.AppendLine(inv, $"<h3 style=\"margin:8px 0\">Multiclass metrics ({Count} examples, {ConfusionMatrix.ClassCount} classes)</h3>");
        sb.Append("<table style=\"").Append(Table).AppendLine("\"><tbody>");
        foreach ((string name, string value) in SummaryRows())
            sb.Append("<tr><th style=\"").Append(Th).Append("\">").Append(ConfusionMatrix.Encode(name)).Append("</th><td style=\"")
              .Append(Td).Append("\">").Append(value).AppendLine("</td></tr>");
        sb.AppendLine("</tbody></table>");

        sb.Append("<table style=\"").Append(Table).AppendLine("\">");
        sb.Append("<thead><tr>");
        foreach (string h in (string[])["Class", "Precision", "Recall", "F1", "Support"])
            sb.Append("<th style=\"").Append(Th).Append("\">").Append(h).Append("</th>");
        sb.AppendLine("</tr></thead><tbody>");
        foreach (ClassMetrics c in PerClass)
        {
            sb.Append("<tr><th style=\"").Append(Th).Append("\">").Append(ConfusionMatrix.Encode(c.Label)).Append("</th>");
            foreach (string v in (string[])[c.Precision.ToString("F4", inv), c.Recall.ToString("F4", inv), c.F1.ToString("F4", inv), c.Support.ToString(inv)])
                sb.Append("<td style=\"").Append(Td).Append("\">").Append(v).Append("</td>");
            sb.AppendLine("</tr>");
        }

        sb.AppendLine("</tbody></table>");
        sb.Append(ConfusionMatrix.ToHtml());
        sb.AppendLine("</section>");
        return sb.ToString();
    }

    private IEnumerable<(string Name, string Value)> SummaryRows()
    {
        var inv = CultureInfo.InvariantCulture;
        yield return ("Micro accuracy", MicroAccuracy.ToString("F4", inv));
        yield return ("Macro accuracy", MacroAccuracy.ToString("F4", inv));
        yield return ("Log-loss", LogLoss.ToString("F4", inv));
        yield return ("Log-loss reduction", LogLossReduction.ToString("F4", inv));
        for (var k = 1; k <= TopK; k++)
            yield return ($"Top-{k} accuracy", TopKAccuracyForAllK[k - 1].ToString("F4", inv));
    }
}
