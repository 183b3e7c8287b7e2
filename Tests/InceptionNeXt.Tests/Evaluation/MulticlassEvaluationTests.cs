using System.Globalization;
using System.Text.Json;
using InceptionNeXt.ML.Evaluation;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;

namespace InceptionNeXt.Tests.Evaluation;

/// <summary>MulticlassEvaluator: hand-computed metrics, top-K with ties, numpy cross-check, rendering and input validation.</summary>
[TestClass]
public sealed class MulticlassEvaluationTests
{
    private static readonly string[] s_animals = ["cat", "dog", "bird"];

    // Truth [0,0,1,2,1]; arg-max [0,1,1,2,0]; so confusion rows cat (1,1,0), dog (1,1,0), bird (0,0,1).
    private static MulticlassMetrics HandExample() => MulticlassEvaluator.Evaluate(
        [0, 0, 1, 2, 1],
        [[0.7f, 0.2f, 0.1f], [0.3f, 0.6f, 0.1f], [0.2f, 0.5f, 0.3f], [0.1f, 0.3f, 0.6f], [0.5f, 0.25f, 0.25f]],
        s_animals);

    [TestMethod]
    public void HandComputedExample()
    {
        var m = HandExample();
        Assert.AreEqual(5, m.Count);
        Assert.AreEqual(0.6, m.MicroAccuracy, 1e-12);
        Assert.AreEqual((0.5 + 0.5 + 1.0) / 3, m.MacroAccuracy, 1e-12);

        // -ln p(true) of 0.7, 0.3, 0.5, 0.6, 0.25 (float inputs, hence the tolerance).
        double logLoss = -(Math.Log(0.7) + Math.Log(0.3) + Math.Log(0.5) + Math.Log(0.6) + Math.Log(0.25)) / 5;
        Assert.AreEqual(0.8301830, logLoss, 1e-6);
        Assert.AreEqual(logLoss, m.LogLoss, 1e-6);
        double prior = -(2 * 0.4 * Math.Log(0.4) + 0.2 * Math.Log(0.2)); // label frequencies 2/5, 2/5, 1/5
        Assert.AreEqual(1 - logLoss / prior, m.LogLossReduction, 1e-6);
        Assert.AreEqual(0.2130, m.LogLossReduction, 1e-4);

        double[][] expected = [[0.5, 0.5, 0.5, 2], [0.5, 0.5, 0.5, 2], [1, 1, 1, 1]]; // precision, recall, F1, support
        Assert.HasCount(3, m.PerClass);
        for (var c = 0; c < 3; c++)
        {
            var pc = m.PerClass[c];
            Assert.AreEqual(c, pc.Index);
            Assert.AreEqual(s_animals[c], pc.Label);
            Assert.AreEqual(expected[c][0], pc.Precision, 1e-12, $"precision {c}");
            Assert.AreEqual(expected[c][1], pc.Recall, 1e-12, $"recall {c}");
            Assert.AreEqual(expected[c][2], pc.F1, 1e-12, $"F1 {c}");
            Assert.AreEqual((int)expected[c][3], pc.Support, $"support {c}");
        }

        int[][] counts = [[1, 1, 0], [1, 1, 0], [0, 0, 1]];
        for (var a = 0; a < 3; a++)
        {
            CollectionAssert.AreEqual(counts[a], m.ConfusionMatrix.Counts[a].ToArray(), $"row {a}");
            for (var p = 0; p < 3; p++) Assert.AreEqual(counts[a][p], m.ConfusionMatrix[a, p]);
        }

        Assert.AreEqual(5, m.ConfusionMatrix.Total);
        Assert.AreEqual(2, m.ConfusionMatrix.PredictedCount(0));
        Assert.AreEqual(1, m.ConfusionMatrix.ActualCount(2));

        // K = 5 is more than 3 classes, so K becomes 3; true class ranks are 0,1,0,0,1.
        Assert.AreEqual(3, m.TopK);
        CollectionAssert.AreEqual(new[] { 0.6, 1.0, 1.0 }, m.TopKAccuracyForAllK.ToArray());
    }

    [TestMethod]
    public void TopKCountsTiesTowardsTheLowerIndex()
    {
        float[] uniform = [0.25f, 0.25f, 0.25f, 0.25f];
        int[] labels = [2, 1, 0, 3];
        float[][] probabilities = [[0.4f, 0.3f, 0.2f, 0.1f], uniform, uniform, [0.1f, 0.2f, 0.3f, 0.4f]];
        string[] classes = ["a", "b", "c", "d"];

        var all = MulticlassEvaluator.Evaluate(labels, probabilities, classes, topK: 10);
        Assert.AreEqual(4, all.TopK);
        CollectionAssert.AreEqual(new[] { 0.5, 0.75, 1.0, 1.0 }, all.TopKAccuracyForAllK.ToArray());
        Assert.AreEqual(all.MicroAccuracy, all.TopKAccuracyForAllK[0]);
        Assert.AreEqual(1, all.ConfusionMatrix[1, 0], "a tie predicts the lowest index");

        var two = MulticlassEvaluator.Evaluate(labels, probabilities, classes, topK: 2);
        Assert.AreEqual(2, two.TopK);
        Assert.AreEqual(0.75, two.TopKAccuracy);
        Assert.AreEqual(0.5, MulticlassEvaluator.Evaluate(labels, probabilities, classes, topK: 1).TopKAccuracy);
    }

    [TestMethod]
    public void AbsentClassesAndZeroProbabilities()
    {
        // "fish" never occurs and is never predicted: all zero, and it does not count towards macro accuracy.
        var m = MulticlassEvaluator.Evaluate([0, 1, 1], [[0.9f, 0.1f, 0f], [0.6f, 0.4f, 0f], [0.2f, 0.8f, 0f]], ["cat", "dog", "fish"]);
        var fish = m.PerClass[2];
        Assert.AreEqual((0.0, 0.0, 0.0, 0), (fish.Precision, fish.Recall, fish.F1, fish.Support));
        Assert.AreEqual((1.0 + 0.5) / 2, m.MacroAccuracy, 1e-12);
        Assert.AreEqual(0.5, m.PerClass[0].Precision, 1e-12);
        Assert.AreEqual(2.0 / 3, m.PerClass[0].F1, 1e-12);

        // One class only: the prior is exact, so the reduction is undefined; a zero probability is clamped at 1e-15.
        var single = MulticlassEvaluator.Evaluate([0, 0], [[1f, 0f], [0f, 1f]], ["yes", "no"]);
        Assert.IsTrue(double.IsNaN(single.LogLossReduction));
        Assert.AreEqual(-Math.Log(1e-15) / 2, single.LogLoss, 1e-9);
        Assert.AreEqual(0.0, single.PerClass[1].Precision);
        Assert.AreEqual(0.0, single.PerClass[1].F1);
    }

    private const string NumpyScript = """
import sys, json
import numpy as np
d = json.load(open(sys.argv[1]))
y = np.array(d["labels"])
P = np.array(d["probs"], dtype=np.float64)
n, C = P.shape
pred = P.argmax(axis=1)
ll = float(np.mean(-np.log(np.maximum(P[np.arange(n), y], 1e-15))))
cm = np.zeros((C, C), dtype=np.int64)
np.add.at(cm, (y, pred), 1)
tp = np.diag(cm).astype(np.float64); sup = cm.sum(axis=1); npred = cm.sum(axis=0)
prec = np.where(npred > 0, tp / np.maximum(npred, 1), 0.0)
rec = np.where(sup > 0, tp / np.maximum(sup, 1), 0.0)
f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-300), 0.0)
freq = sup[sup > 0] / n
prior = float(-(freq * np.log(freq)).sum())
order = np.argsort(-P, axis=1, kind="stable")
top3 = float(np.mean([y[i] in order[i, :3] for i in range(n)]))
print(json.dumps({"logloss": ll, "reduction": 1 - ll / prior, "micro": float(np.mean(pred == y)),
                  "macro": float(rec[sup > 0].mean()), "precision": prec.tolist(), "recall": rec.tolist(),
                  "f1": f1.tolist(), "top3": top3, "cm": cm.tolist()}))
""";

    [TestMethod]
    public void MatchesNumpyOnRandomData()
    {
        PythonRunner.RequirePython();
        const int N = 300, C = 7;
        var rng = new Random(1234);
        var labels = new int[N];
        var probabilities = new float[N][];
        for (var i = 0; i < N; i++)
        {
            labels[i] = rng.Next(C - 1); // the last class never occurs
            var logits = Enumerable.Range(0, C).Select(_ => rng.NextDouble() * 4).ToArray();
            logits[labels[i]] += rng.NextDouble() * 2; // better than chance
            double z = logits.Sum(Math.Exp);
            probabilities[i] = logits.Select(l => (float)(Math.Exp(l) / z)).ToArray();
            if (i % 50 == 0) probabilities[i][labels[i]] = 0f; // exercises the clamp
        }

        string[] classes = Enumerable.Range(0, C).Select(c => "class" + c).ToArray();
        var m = MulticlassEvaluator.Evaluate(labels, probabilities, classes, topK: 3);

        using var dir = new TempDir();
        string input = dir.File("eval.json");
        File.WriteAllText(input, JsonSerializer.Serialize(new { labels, probs = probabilities.Select(p => p.Select(v => (double)v).ToArray()).ToArray() }));
        using var doc = JsonDocument.Parse(PythonRunner.Run(NumpyScript, input));
        var root = doc.RootElement;

        Assert.AreEqual(root.GetProperty("logloss").GetDouble(), m.LogLoss, 1e-9);
        Assert.AreEqual(root.GetProperty("reduction").GetDouble(), m.LogLossReduction, 1e-9);
        Assert.AreEqual(root.GetProperty("micro").GetDouble(), m.MicroAccuracy, 1e-12);
        Assert.AreEqual(root.GetProperty("macro").GetDouble(), m.MacroAccuracy, 1e-12);
        Assert.AreEqual(root.GetProperty("top3").GetDouble(), m.TopKAccuracy, 1e-12);
        double[] Get(string name) => root.GetProperty(name).EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double[] precision = Get("precision"), recall = Get("recall"), f1 = Get("f1");
        var cm = root.GetProperty("cm").EnumerateArray().Select(r => r.EnumerateArray().Select(e => e.GetInt32()).ToArray()).ToArray();
        for (var c = 0; c < C; c++)
        {
            Assert.AreEqual(precision[c], m.PerClass[c].Precision, 1e-12, $"precision {c}");
            Assert.AreEqual(recall[c], m.PerClass[c].Recall, 1e-12, $"recall {c}");
            Assert.AreEqual(f1[c], m.PerClass[c].F1, 1e-12, $"F1 {c}");
            CollectionAssert.AreEqual(cm[c], m.ConfusionMatrix.Counts[c].ToArray(), $"confusion row {c}");
        }

        Assert.AreEqual(0, m.PerClass[C - 1].Support);
    }

    [TestMethod]
    public void HtmlEscapesLabels()
    {
        var m = MulticlassEvaluator.Evaluate([0, 1], [[0.9f, 0.1f], [0.4f, 0.6f]], ["<b>&", "it's \"x\""]);
        foreach (string html in new[] { m.ConfusionMatrix.ToHtml(), m.ToHtml() })
        {
            StringAssert.Contains(html, "&lt;b&gt;&amp;");
            StringAssert.Contains(html, "it&#39;s &quot;x&quot;");
            Assert.IsFalse(html.Contains("<b>", StringComparison.Ordinal), html);
            Assert.IsFalse(html.Contains("<b>&", StringComparison.Ordinal), html);
        }

        string table = m.ConfusionMatrix.ToHtml().Trim();
        StringAssert.StartsWith(table, "<table");
        StringAssert.EndsWith(table, "</table>");
        StringAssert.Contains(table, "background:rgba(31,119,180,1)"); // each row is all on the diagonal
        string section = m.ToHtml().Trim();
        StringAssert.StartsWith(section, "<section");
        StringAssert.EndsWith(section, "</section>");
        Assert.AreEqual(CountOf(section, "<table"), CountOf(section, "</table>"));
        Assert.AreEqual(3, CountOf(section, "<table"));
    }

    [TestMethod]
    public void TextIsAligned()
    {
        var m = MulticlassEvaluator.Evaluate(
            [0, 0, 1, 2, 1],
            [[0.7f, 0.2f, 0.1f], [0.3f, 0.6f, 0.1f], [0.2f, 0.5f, 0.3f], [0.1f, 0.3f, 0.6f], [0.5f, 0.25f, 0.25f]],
            ["cat", "a-much-longer-label", "bird"]);
        string text = m.ConfusionMatrix.ToText();
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        var table = lines.Where(l => l.Contains("||", StringComparison.Ordinal)).ToArray();
        Assert.HasCount(8, table); // rule, PREDICTED header, TRUTH rule, 3 rows, rule, precision
        Assert.AreEqual(1, table.Select(l => l.IndexOf("||", StringComparison.Ordinal)).Distinct().Count(), text);
        var cells = table.Where(l => !l.Contains("==", StringComparison.Ordinal)).ToArray();
        Assert.AreEqual(1, cells.Select(l => l.Split('|').Length).Distinct().Count(), text);
        Assert.AreEqual(1, cells.Select(l => l.LastIndexOf('|')).Distinct().Count(), text);
        StringAssert.Contains(text, "a-much-longer-label ||" + new string(' ', 19) + "1 |"); // columns as wide as the longest label
        StringAssert.Contains(text, "| 0.5000");

        string summary = m.ToText();
        static string Line(string name, string value) => "  " + (name + ":").PadRight(22) + value;
        StringAssert.Contains(summary, Line("Micro accuracy", "0.6000"));
        StringAssert.Contains(summary, Line("Macro accuracy", "0.6667"));
        StringAssert.Contains(summary, Line("Top-2 accuracy", "1.0000"));
        StringAssert.Contains(summary, Line("Log-loss", m.LogLoss.ToString("F4", CultureInfo.InvariantCulture)));
        StringAssert.Contains(summary, "Multiclass metrics over 5 examples, 3 classes");
        StringAssert.Contains(summary, text);
    }

    [TestMethod]
    public void BadInputsGiveClearMessages()
    {
        string[] classes = ["a", "b", "c"];
        float[] ok = [0.2f, 0.3f, 0.5f];

        var e = Assert.ThrowsExactly<ArgumentException>(() => MulticlassEvaluator.Evaluate([0, 1], [ok], classes));
        StringAssert.Contains(e.Message, "2 labels but 1 probability vectors");
        Assert.AreEqual("probabilities", e.ParamName);

        e = Assert.ThrowsExactly<ArgumentException>(() => MulticlassEvaluator.Evaluate([0, 3], [ok, ok], classes));
        StringAssert.Contains(e.Message, "Label 1 is 3, outside 0..2");
        Assert.AreEqual("labels", e.ParamName);
        e = Assert.ThrowsExactly<ArgumentException>(() => MulticlassEvaluator.Evaluate([-1], [ok], classes));
        StringAssert.Contains(e.Message, "Label 0 is -1");

        e = Assert.ThrowsExactly<ArgumentException>(() => MulticlassEvaluator.Evaluate([0, 1], [ok, [0.5f, 0.5f]], classes));
        StringAssert.Contains(e.Message, "Probability vector 1 has 2 entries but there are 3 classes");

        e = Assert.ThrowsExactly<ArgumentException>(() => MulticlassEvaluator.Evaluate([0], [[0.5f, float.NaN, 0.5f]], classes));
        StringAssert.Contains(e.Message, "NaN at class 1");

        e = Assert.ThrowsExactly<ArgumentException>(() => MulticlassEvaluator.Evaluate([], [], classes));
        StringAssert.Contains(e.Message, "At least one example");
        e = Assert.ThrowsExactly<ArgumentException>(() => MulticlassEvaluator.Evaluate([0], [ok], []));
        StringAssert.Contains(e.Message, "At least one class label");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => MulticlassEvaluator.Evaluate([0], [ok], classes, topK: 0));

        e = Assert.ThrowsExactly<ArgumentException>(() => new ConfusionMatrix(new int[2, 3], classes));
        StringAssert.Contains(e.Message, "2x3");
    }

    private static int CountOf(string text, string part)
    {
        int count = 0, at = 0;
        while ((at = text.IndexOf(part, at, StringComparison.Ordinal)) >= 0)
        {
            count++;
            at += part.Length;
        }

        return count;
    }
}
