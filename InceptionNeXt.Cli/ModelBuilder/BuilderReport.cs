using System.Globalization;
using System.Net;
using System.Text;
using InceptionNeXt.ML.Pipelines.Transforms;
using InceptionNeXt.ML.Trainers;

namespace InceptionNeXt.Cli.ModelBuilder;

/// <summary>report.html of <c>image-classification</c>: self-contained (inline SVG and CSS, no scripts, no network).</summary>
internal static class BuilderReport
{
    public static void Write(string path, BuilderOptions o, string backbone, IReadOnlyList<Candidate> candidates, Candidate best,
        IReadOnlyList<SkippedImage> skipped, int trainCount, int validationCount)
    {
        static string E(string s) => WebUtility.HtmlEncode(s);
        var inv = CultureInfo.InvariantCulture;
        var html = new StringBuilder();
        html.Append($"""
            <!DOCTYPE html><html><head><meta charset="utf-8"><title>{E(o.Name)}: image classification</title>
            <style>body{"{"}font-family:sans-serif;max-width:980px;margin:2em auto;color:#222{"}"} table{"{"}border-collapse:collapse{"}"}
            td,th{"{"}border:1px solid #ccc;padding:3px 8px;text-align:right{"}"} th{"{"}background:#f3f3f3{"}"} .best{"{"}background:#e8f5e9{"}"}</style></head><body>
            <h1>{E(o.Name)}</h1>
            <p>Data: {E(o.Dataset)} ({trainCount} training images){(o.ValidationDataset is null ? $", {validationCount} held out for validation" : $", validation {E(o.ValidationDataset)} ({validationCount} images)")}.
            Backbone: {E(backbone)}. Time budget: {o.TrainTime.TotalSeconds.ToString("F0", inv)} s.</p>
            <h2>Candidates</h2><table><tr><th>trainer</th><th>accuracy</th><th>macro accuracy</th><th>log-loss</th><th>epochs</th><th>time (s)</th></tr>
            """);
        foreach (var c in candidates)
            html.Append(inv, $"<tr{(c == best ? " class=\"best\"" : "")}><td style=\"text-align:left\">{E(c.Trainer)}</td><td>{c.Metrics.MicroAccuracy:P2}</td><td>{c.Metrics.MacroAccuracy:P2}</td><td>{c.Metrics.LogLoss:F4}</td><td>{c.Epochs.Count}</td><td>{c.Time.TotalSeconds:F1}</td></tr>\n");
        html.Append("</table>\n<h2>Training curves</h2>\n");
        foreach (var c in candidates.Where(c => c.Epochs.Count > 1))
            html.Append($"<h3>{E(c.Trainer)}</h3>\n").Append(Curves(c.Epochs));
        html.Append($"<h2>Best: {E(best.Trainer)} (validation)</h2>\n").Append(best.Metrics.ToHtml());
        if (skipped.Count > 0)
        {
            html.Append($"<h2>Unreadable files skipped ({skipped.Count})</h2><ul>");
            foreach (var s in skipped) html.Append($"<li>{E(s.Source)}: {E(s.Reason)}</li>");
            html.Append("</ul>");
        }
        html.Append("</body></html>\n");
        File.WriteAllText(path, html.ToString());
    }

    /// <summary>Loss (train solid, validation dashed) and accuracy per epoch as one inline SVG.</summary>
    private static string Curves(IReadOnlyList<HeadTrainingEpoch> epochs)
    {
        const int w = 640, h = 220, pad = 36;
        var losses = epochs.Select(e => e.Loss).Concat(epochs.Where(e => e.ValidationLoss is not null).Select(e => e.ValidationLoss!.Value)).Where(double.IsFinite).ToArray();
        var maxLoss = losses.Length > 0 ? Math.Max(1e-9, losses.Max()) : 1;
        string Line(Func<HeadTrainingEpoch, double?> value, double max, string color, bool dashed)
        {
            var points = epochs.Where(e => value(e) is { } v && double.IsFinite(v)).Select(e =>
                string.Create(CultureInfo.InvariantCulture, $"{pad + (w - 2 * pad) * (e.Epoch - 1) / (double)Math.Max(1, epochs.Count - 1):F1},{h - pad - (h - 2 * pad) * value(e)!.Value / max:F1}"));
            return $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{(dashed ? " stroke-dasharray=\"5,3\"" : "")} points=\"{string.Join(" ", points)}\"/>";
        }
        return $"""
            <svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" style="border:1px solid #ddd">
            <line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#888"/><line x1="{pad}" y1="{pad}" x2="{pad}" y2="{h - pad}" stroke="#888"/>
            {Line(e => e.Loss, maxLoss, "#1565c0", false)}{Line(e => e.ValidationLoss, maxLoss, "#1565c0", true)}
            {Line(e => e.Accuracy, 1, "#2e7d32", false)}{Line(e => e.ValidationAccuracy, 1, "#2e7d32", true)}
            <text x="{pad}" y="{pad - 10}" font-size="12">loss (blue, max {maxLoss.ToString("G3", CultureInfo.InvariantCulture)}), accuracy (green, 0-1); dashed: validation; x: epoch 1-{epochs.Count}</text>
            </svg>

            """;
    }
}
