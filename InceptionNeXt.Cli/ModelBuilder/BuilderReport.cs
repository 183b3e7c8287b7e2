using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using SkiaSharp;

namespace InceptionNeXt.Cli.ModelBuilder;

/// <summary>report.html of <c>image-classification</c>: self-contained (inline CSS and images, no scripts, no network).</summary>
internal static class BuilderReport
{
    private const int GallerySize = 12;
    private const int ThumbnailSide = 96;

    public static void Write(string path, BuilderOptions o, string backbone, IReadOnlyList<Candidate> candidates, Candidate best,
        IReadOnlyList<string> labels, IReadOnlyList<SkippedImage> skipped, int trainCount, int validationCount)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var inv = CultureInfo.InvariantCulture;
        var html = new StringBuilder();
        html.Append($"""
            <!DOCTYPE html><html><head><meta charset="utf-8"><title>{E(o.Name)}: image classification</title>
            <style>body{"{"}font-family:sans-serif;max-width:980px;margin:2em auto;color:#222{"}"} table{"{"}border-collapse:collapse{"}"}
            td,th{"{"}border:1px solid #ccc;padding:3px 8px;text-align:right{"}"} th{"{"}background:#f3f3f3{"}"} .best{"{"}background:#e8f5e9{"}"}
            .diag{"{"}background:#e3f2fd{"}"} figure{"{"}display:inline-block;margin:6px;text-align:center;font-size:12px{"}"}</style></head><body>
            <h1>{E(o.Name)}</h1>
            <p>Data: {E(o.Dataset)} ({trainCount} training images){(o.ValidationDataset is null ? $", {validationCount} held out for validation" : $", validation {E(o.ValidationDataset)} ({validationCount} images)")}.
            Backbone: {E(backbone)}. Time budget: {o.TrainTime.TotalSeconds.ToString("F0", inv)} s.</p>
            <h2>Candidates</h2><table><tr><th>trainer</th><th>accuracy</th><th>macro accuracy</th><th>log-loss</th><th>time (s)</th></tr>
            """);
        foreach (var c in candidates)
            html.Append(inv, $"<tr{(c == best ? " class=\"best\"" : "")}><td style=\"text-align:left\">{E(c.Trainer)}</td><td>{c.Metrics.MicroAccuracy:P2}</td><td>{c.Metrics.MacroAccuracy:P2}</td><td>{c.Metrics.LogLoss:F4}</td><td>{c.Time.TotalSeconds:F1}</td></tr>\n");
        html.Append("</table>\n");
        html.Append($"<h2>Best: {E(best.Trainer)} (validation)</h2>\n");
        html.Append(inv, $"<p>Micro accuracy {best.Metrics.MicroAccuracy:P2}, macro accuracy {best.Metrics.MacroAccuracy:P2}, log-loss {best.Metrics.LogLoss:F4}, log-loss reduction {best.Metrics.LogLossReduction:F4}.</p>\n");
        html.Append(ConfusionMatrix(best.Metrics.ConfusionMatrix, labels));
        html.Append(Gallery(best.Scored, labels));
        if (skipped.Count > 0)
        {
            html.Append($"<h2>Unreadable files skipped ({skipped.Count})</h2><ul>");
            foreach (var s in skipped) html.Append($"<li>{E(s.Source)}: {E(s.Reason)}</li>");
            html.Append("</ul>");
        }
        html.Append("</body></html>\n");
        File.WriteAllText(path, html.ToString());
    }

    /// <summary>ML.NET's confusion matrix (rows: truth, columns: prediction) with per-class recall and precision.</summary>
    private static string ConfusionMatrix(Microsoft.ML.Data.ConfusionMatrix matrix, IReadOnlyList<string> labels)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var inv = CultureInfo.InvariantCulture;
        var html = new StringBuilder("<h3>Confusion matrix</h3><table><tr><th>truth \\ predicted</th>");
        foreach (var l in labels) html.Append($"<th>{E(l)}</th>");
        html.Append("<th>recall</th></tr>\n");
        for (var t = 0; t < matrix.NumberOfClasses; t++)
        {
            html.Append($"<tr><th style=\"text-align:left\">{E(labels[t])}</th>");
            for (var p = 0; p < matrix.NumberOfClasses; p++)
                html.Append(inv, $"<td{(t == p ? " class=\"diag\"" : "")}>{matrix.Counts[t][p]:0}</td>");
            html.Append(inv, $"<td>{matrix.PerClassRecall[t]:F4}</td></tr>\n");
        }
        html.Append("<tr><th style=\"text-align:left\">precision</th>");
        foreach (var p in matrix.PerClassPrecision) html.Append(inv, $"<td>{p:F4}</td>");
        html.Append("<td></td></tr></table>\n");
        return html.ToString();
    }

    /// <summary>The most confidently wrong validation images, worst first, with small inline thumbnails.</summary>
    private static string Gallery(IDataView scored, IReadOnlyList<string> labels)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var paths = scored.GetColumn<string>("ImagePath").ToArray();
        var truth = scored.GetColumn<uint>("Label").ToArray();
        var predicted = scored.GetColumn<uint>("PredictedLabel").ToArray();
        var scores = scored.GetColumn<float[]>("Score").ToArray();
        var wrong = Enumerable.Range(0, paths.Length).Where(i => truth[i] != predicted[i] && predicted[i] > 0)
            .OrderByDescending(i => scores[i][predicted[i] - 1]).Take(GallerySize).ToArray();
        var html = new StringBuilder($"<h3>Worst misclassified validation images ({wrong.Length} shown)</h3>\n");
        if (wrong.Length == 0) return html.Append("<p>None: every validation image was classified correctly.</p>\n").ToString();
        foreach (var i in wrong)
        {
            var label = truth[i] > 0 ? labels[(int)truth[i] - 1] : "?";
            var thumbnail = Thumbnail(paths[i]);
            html.Append(CultureInfo.InvariantCulture, $"<figure>{(thumbnail is null ? "" : $"<img src=\"data:image/png;base64,{thumbnail}\" alt=\"\"><br>")}" +
                $"<span title=\"{E(paths[i])}\">{E(Path.GetFileName(paths[i]))}</span><br>truth {E(label)}<br>predicted {E(labels[(int)predicted[i] - 1])} ({scores[i][predicted[i] - 1]:P1})</figure>\n");
        }
        return html.ToString();
    }

    // A PNG of at most ThumbnailSide pixels a side, base64; null when the file cannot be decoded.
    private static string? Thumbnail(string path)
    {
        using var bitmap = SKBitmap.Decode(path);
        if (bitmap is null) return null;
        var scale = Math.Min(1.0, ThumbnailSide / (double)Math.Max(bitmap.Width, bitmap.Height));
        var info = new SKImageInfo(Math.Max(1, (int)(bitmap.Width * scale)), Math.Max(1, (int)(bitmap.Height * scale)));
        using var small = bitmap.Resize(info, SKFilterQuality.Medium);
        if (small is null) return null;
        using var image = SKImage.FromBitmap(small);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        return Convert.ToBase64String(png.AsSpan());
    }
}
