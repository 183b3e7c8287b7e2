using System.Globalization;
using System.Net;
using System.Text;

namespace InceptionNeXt.Training.Training;

/// <summary>A self-contained HTML training report: loss and accuracy curves as inline SVG, no scripts, no network.</summary>
public static class HtmlReport
{
    /// <summary>Writes <c>report.html</c> for the epochs logged so far.</summary>
    public static void Write(string path, string title, IReadOnlyList<EpochRecord> epochs, IReadOnlyList<string> classes,
        IReadOnlyList<double>? perClassTop1, IReadOnlyDictionary<string, string> settings)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>").Append(Encode(title)).Append("</title><style>")
            .Append("body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}")
            .Append("th{background:#f4f4f4}.charts{display:flex;gap:2em;flex-wrap:wrap}</style></head><body>")
            .Append("<h1>").Append(Encode(title)).Append("</h1>");
        if (epochs.Count > 0)
        {
            var last = epochs[^1];
            html.Append(CultureInfo.InvariantCulture, $"<p>Last epoch {last.Epoch}: validation top-1 <b>{last.Top1:F2}%</b>, top-5 {last.Top5:F2}%; best top-1 {epochs.Max(e => e.Top1):F2}%.</p>");
            html.Append("<div class=\"charts\">")
                .Append(Chart("Loss", [("train", epochs.Select(e => e.TrainLoss).ToArray(), "#1f77b4"), ("validation", epochs.Select(e => e.ValLoss).ToArray(), "#d62728")], epochs))
                .Append(Chart("Accuracy (%)", [("top-1", epochs.Select(e => e.Top1).ToArray(), "#2ca02c"), ("top-5", epochs.Select(e => e.Top5).ToArray(), "#9467bd")], epochs))
                .Append("</div>");
        }
        html.Append("<h2>Epochs</h2><table><tr><th>epoch</th><th>train loss</th><th>lr</th><th>img/s</th><th>top-1</th><th>top-5</th><th>val loss</th><th>EMA top-1</th><th>skipped</th></tr>");
        foreach (var e in epochs)
            html.Append(CultureInfo.InvariantCulture,
                $"<tr><td>{e.Epoch}</td><td>{e.TrainLoss:F4}</td><td>{e.LearningRate:E2}</td><td>{e.ImagesPerSecond:F0}</td><td>{e.Top1:F2}</td><td>{e.Top5:F2}</td><td>{e.ValLoss:F4}</td><td>{(e.EmaTop1 is { } t ? t.ToString("F2", CultureInfo.InvariantCulture) : "")}</td><td>{e.Skipped}</td></tr>");
        html.Append("</table>");
        if (perClassTop1 is not null)
        {
            html.Append("<h2>Per-class top-1 (last epoch)</h2><table><tr><th>class</th><th>top-1 %</th></tr>");
            for (var c = 0; c < classes.Count; c++)
                html.Append("<tr><td style=\"text-align:left\">").Append(Encode(classes[c])).Append("</td><td>")
                    .Append(double.IsNaN(perClassTop1[c]) ? "n/a" : perClassTop1[c].ToString("F2", CultureInfo.InvariantCulture)).Append("</td></tr>");
            html.Append("</table>");
        }
        html.Append("<h2>Settings</h2><table>");
        foreach (var (k, v) in settings) html.Append("<tr><th>").Append(Encode(k)).Append("</th><td style=\"text-align:left\">").Append(Encode(v)).Append("</td></tr>");
        html.Append("</table></body></html>");
        File.WriteAllText(path, html.ToString(), Encoding.UTF8);
    }

    private static string Chart(string title, (string Name, double[] Values, string Color)[] series, IReadOnlyList<EpochRecord> epochs)
    {
        const int w = 420, h = 260, left = 50, right = 10, top = 25, bottom = 35;
        var all = series.SelectMany(s => s.Values).Where(double.IsFinite).ToArray();
        var (min, max) = all.Length == 0 ? (0.0, 1.0) : (all.Min(), all.Max());
        if (max - min < 1e-9) { min -= 0.5; max += 0.5; }
        var n = epochs.Count;
        double X(int i) => left + (n == 1 ? (w - left - right) / 2.0 : i * (w - left - right) / (double)(n - 1));
        double Y(double v) => top + (max - v) / (max - min) * (h - top - bottom);
        var c = CultureInfo.InvariantCulture;
        var svg = new StringBuilder();
        svg.Append(c, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"{Encode(title)}\">")
           .Append(c, $"<text x=\"{w / 2}\" y=\"16\" text-anchor=\"middle\" font-size=\"14\">{Encode(title)}</text>")
           .Append(c, $"<line x1=\"{left}\" y1=\"{h - bottom}\" x2=\"{w - right}\" y2=\"{h - bottom}\" stroke=\"#888\"/><line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{h - bottom}\" stroke=\"#888\"/>")
           .Append(c, $"<text x=\"{left - 4}\" y=\"{top + 4}\" text-anchor=\"end\" font-size=\"10\">{max:G4}</text><text x=\"{left - 4}\" y=\"{h - bottom}\" text-anchor=\"end\" font-size=\"10\">{min:G4}</text>")
           .Append(c, $"<text x=\"{(w + left) / 2}\" y=\"{h - 8}\" text-anchor=\"middle\" font-size=\"11\">epoch (1..{n})</text>");
        var legend = 0;
        foreach (var (name, values, color) in series)
        {
            var points = string.Join(" ", values.Select((v, i) => double.IsFinite(v) ? $"{X(i).ToString("F1", c)},{Y(v).ToString("F1", c)}" : null).Where(p => p is not null));
            svg.Append(c, $"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{points}\"/>");
            foreach (var (v, i) in values.Select((v, i) => (v, i)).Where(p => double.IsFinite(p.v)))
                svg.Append(c, $"<circle cx=\"{X(i):F1}\" cy=\"{Y(v):F1}\" r=\"2.5\" fill=\"{color}\"/>");
            svg.Append(c, $"<text x=\"{left + 10 + legend * 90}\" y=\"{top + 12}\" font-size=\"11\" fill=\"{color}\">{Encode(name)}</text>");
            legend++;
        }
        return svg.Append("</svg>").ToString();
    }

    private static string Encode(string s) => WebUtility.HtmlEncode(s);
}
