using System.Text.Json;
using Google.Protobuf;
using InceptionNeXt.ML.Inference;
using InceptionNeXt.ML.OnnxFormat;
using InceptionNeXt.ML.OnnxFormat.Proto;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.TorchModels;
using TorchSharp;

namespace InceptionNeXt.Tests.Export;

/// <summary>
/// A <see cref="ClassifierHead"/> grafted onto an exported backbone: ONNX Runtime's logits equal the head on the
/// model's own features, the file passes the ONNX checker, the metadata carries the new labels, and bad requests fail
/// with messages that say what does not fit.
/// </summary>
[TestClass]
public sealed class OnnxHeadGraftingTests
{
    private const int Size = 64, Batch = 3, FeatureSize = 320;
    private static readonly string[] Labels = ["shirt", "trouser", "bag", "sneaker", "coat"];
    private static TempDir dir = null!;
    // inceptionnext_atto exported with 7 classes and pre_logits, without and with embedded preprocessing.
    private static byte[] plain = [];
    private static byte[] embedded = [];

    [ClassInitialize]
    public static void ExportBackbones(TestContext _)
    {
        dir = new TempDir();
        torch.manual_seed(11);
        using var model = TorchModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 7 });
        using (torch.no_grad())
            foreach (var (name, t) in model.state_dict())
                if (name.EndsWith(".gamma", StringComparison.Ordinal)) t.normal_(0, 0.5);
        model.eval();
        OnnxExportOptions Options(bool embed) => new()
        {
            ImageSize = Size, IncludePreLogits = true, EmbedPreprocessing = embed,
            Labels = Enumerable.Range(0, 7).Select(i => $"imagenet {i}").ToArray(),
            Preprocessing = model.Config.Preprocessing with { InputSize = Size },
        };
        plain = TorchOnnxExporter.Export(model, Options(embed: false));
        embedded = TorchOnnxExporter.Export(model, Options(embed: true));
    }

    [ClassCleanup]
    public static void Cleanup() => dir.Dispose();

    [TestMethod]
    [DataRow(1, false)]
    [DataRow(2, false)]
    [DataRow(1, true)]
    [DataRow(2, true)]
    public void GraftedLogitsEqualTheHeadOnTheModelsOwnFeatures(int layers, bool embed)
    {
        var head = RandomHead(FeatureSize, Labels.Length, layers, seed: layers);
        var backbone = embed ? embedded : plain;
        var path = dir.File($"grafted-{layers}-{embed}.onnx");
        File.WriteAllBytes(path, OnnxHeadGrafting.Graft(backbone, head, Labels, "atto-fashion"));

        using var classifier = new OnnxImageClassifier(path);
        CollectionAssert.AreEqual(Labels, classifier.Labels.ToArray());
        Assert.AreEqual("atto-fashion", classifier.Info.ModelName);
        Assert.AreEqual(FeatureSize, classifier.Info.FeatureSize);
        Assert.AreEqual(Size, classifier.Info.InputSize);
        Assert.AreEqual(embed, !classifier.Info.Preprocessing.Normalize, "input_format survives grafting");
        CollectionAssert.AreEquivalent(new[] { "logits", "probabilities", "features" }, classifier.Session.OutputNames.ToArray());
        Assert.AreEqual(OnnxHeadGrafting.Describe(head), classifier.Session.ModelMetadata.CustomMetadataMap[OnnxHeadGrafting.HeadMetadataKey]);
        Assert.AreEqual("5", classifier.Session.ModelMetadata.CustomMetadataMap["num_classes"]);

        var random = new Random(3);
        var pixels = Enumerable.Range(0, Batch * 3 * Size * Size).Select(_ => embed ? random.NextSingle() * 255 : random.NextSingle() * 4 - 2).ToArray();
        var results = OrtRunner.Run(classifier.Session, pixels, Batch, 3, Size, Size);
        CollectionAssert.AreEqual(new long[] { Batch, Labels.Length }, results["logits"].Shape);
        CollectionAssert.AreEqual(new long[] { Batch, Labels.Length }, results["probabilities"].Shape);
        var features = results["features"].Values;
        var logits = results["logits"].Values;
        var probabilities = results["probabilities"].Values;
        for (var n = 0; n < Batch; n++)
        {
            var row = features.AsSpan(n * FeatureSize, FeatureSize);
            AssertClose(head.Logits(row), logits.AsSpan(n * Labels.Length, Labels.Length), 1e-4f, $"logits row {n}");
            AssertClose(head.Probabilities(row), probabilities.AsSpan(n * Labels.Length, Labels.Length), 1e-5f, $"probabilities row {n}");
            Assert.AreEqual(1.0, probabilities.AsSpan(n * Labels.Length, Labels.Length).ToArray().Sum(), 1e-5, $"probabilities row {n} sum");
        }
        // The backbone itself is untouched: the same pixels give the same features as before grafting.
        var before = OrtRunner.Run(backbone, pixels, Batch, 3, Size, Size);
        AssertClose(before["features"].Values, features, 1e-5f, "features before and after grafting");
        // The classifier's own path reads the new logits output.
        var viaClassifier = classifier.Logits(pixels, Batch);
        AssertClose(logits.AsSpan(0, Labels.Length), viaClassifier[0], 1e-6f, "classifier logits");
    }

    [TestMethod]
    public void GraftedModelPassesTheOnnxCheckerWithoutDeadNodesOrWeights()
    {
        var head = RandomHead(FeatureSize, Labels.Length, layers: 2, seed: 7);
        var backbonePath = dir.File("backbone-embedded.onnx");
        File.WriteAllBytes(backbonePath, embedded);
        var path = dir.File("checked.onnx");
        OnnxHeadGrafting.Graft(backbonePath, head, Labels, path);
        var report = RunOnnxScript("""
            import sys, json, onnx
            m = onnx.load(sys.argv[1])
            onnx.checker.check_model(m, full_check=True)
            onnx.shape_inference.infer_shapes(m, strict_mode=True)
            dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
            used = {i for n in m.graph.node for i in n.input} | {o.name for o in m.graph.output}
            print(json.dumps({
                "outputs": {o.name: dims(o) for o in m.graph.output},
                "meta": {p.key: p.value for p in m.metadata_props},
                "dead_nodes": [n.name for n in m.graph.node if not any(o in used for o in n.output)],
                "dead_weights": [t.name for t in m.graph.initializer if t.name not in used],
                "ops": [n.op_type for n in m.graph.node if n.name.startswith(("Gemm", "Relu", "Softmax"))],
            }))
            """, path);
        using var json = JsonDocument.Parse(report);
        var root = json.RootElement;
        var outputs = root.GetProperty("outputs");
        Assert.AreEqual("[\"batch\",5]", outputs.GetProperty("logits").GetRawText().Replace(" ", ""));
        Assert.AreEqual("[\"batch\",5]", outputs.GetProperty("probabilities").GetRawText().Replace(" ", ""));
        Assert.AreEqual($"[\"batch\",{FeatureSize}]", outputs.GetProperty("features").GetRawText().Replace(" ", ""));
        Assert.IsFalse(outputs.TryGetProperty("pre_logits", out _), "pre_logits is dropped");
        Assert.AreEqual(0, root.GetProperty("dead_nodes").GetArrayLength(), root.GetProperty("dead_nodes").GetRawText());
        Assert.AreEqual(0, root.GetProperty("dead_weights").GetArrayLength(), root.GetProperty("dead_weights").GetRawText());
        var meta = root.GetProperty("meta");
        CollectionAssert.AreEqual(Labels, JsonSerializer.Deserialize<string[]>(meta.GetProperty("labels").GetString()!));
        Assert.AreEqual("5", meta.GetProperty("num_classes").GetString());
        Assert.AreEqual("mlp: 320-11-5", meta.GetProperty(OnnxHeadGrafting.HeadMetadataKey).GetString());
        Assert.AreEqual("inceptionnext_atto", meta.GetProperty("model_name").GetString(), "model name kept when none is given");
        Assert.AreEqual("rgb_0_255_nchw", meta.GetProperty("input_format").GetString());
        Assert.AreEqual(Size.ToString(System.Globalization.CultureInfo.InvariantCulture), meta.GetProperty("input_size").GetString());
        Assert.IsTrue(meta.TryGetProperty("mean", out _) && meta.TryGetProperty("std", out _) && meta.TryGetProperty("crop_pct", out _));
    }

    [TestMethod]
    public void HeadsThatDoNotFitAreRejectedWithClearMessages()
    {
        var narrow = RandomHead(100, Labels.Length, layers: 1, seed: 1);
        var features = Assert.ThrowsExactly<ArgumentException>(() => OnnxHeadGrafting.Graft(plain, narrow, Labels));
        StringAssert.Contains(features.Message, "320");
        StringAssert.Contains(features.Message, "100");

        var head = RandomHead(FeatureSize, Labels.Length, layers: 1, seed: 1);
        var labels = Assert.ThrowsExactly<ArgumentException>(() => OnnxHeadGrafting.Graft(plain, head, ["a", "b"]));
        StringAssert.Contains(labels.Message, "2 labels");
        StringAssert.Contains(labels.Message, "5 classes");

        // A classifier exported without a features output.
        var graph = new OnnxGraph();
        var x = graph.AddInput("input", "batch", 3, 8, 8);
        var pooled = graph.AddNode("ReduceMean", [x], "pooled", OnnxAttribute.Ints("axes", 2, 3), OnnxAttribute.Int("keepdims", 0));
        graph.AddOutput("logits", pooled, "batch", 3);
        var logitsOnly = graph.ToModelBytes(new Dictionary<string, string>(), "0", "logits only");
        var noFeatures = Assert.ThrowsExactly<InvalidDataException>(() => OnnxHeadGrafting.Graft(logitsOnly, head, Labels));
        StringAssert.Contains(noFeatures.Message, "'features'");
        StringAssert.Contains(noFeatures.Message, "inceptionnext export");

        var notOnnx = Assert.ThrowsExactly<InvalidDataException>(() => OnnxHeadGrafting.Graft([0x0a, 0xff, 0xff], head, Labels));
        StringAssert.Contains(notOnnx.Message, "not an ONNX model");
    }

    [TestMethod]
    public void FieldsOutsideTheProtoSubsetSurviveGrafting()
    {
        // A foreign model: features come from an If whose branch reads an initializer (stored as float_data, not
        // raw_data) that no top-level node uses, and nodes carry doc strings; none of this is in onnx_subset.proto
        // except the subgraph, which pruning must look into.
        var foreign = dir.File("foreign.onnx");
        RunOnnxScript("""
            import sys, onnx
            from onnx import helper, TensorProto as T
            then_g = helper.make_graph([helper.make_node("Mul", ["pooled", "w"], ["scaled"])], "then", [],
                [helper.make_tensor_value_info("scaled", T.FLOAT, ["batch", 3])])
            else_g = helper.make_graph([helper.make_node("Identity", ["pooled"], ["same"])], "else", [],
                [helper.make_tensor_value_info("same", T.FLOAT, ["batch", 3])])
            nodes = [
                helper.make_node("ReduceMean", ["input"], ["pooled"], axes=[2, 3], keepdims=0, doc_string="global pool"),
                helper.make_node("If", ["cond"], ["features"], then_branch=then_g, else_branch=else_g),
                helper.make_node("Gemm", ["features", "old_w"], ["logits"], transB=1),
            ]
            inits = [helper.make_tensor("w", T.FLOAT, [3], [2.0, -1.0, 0.5]),
                     helper.make_tensor("cond", T.BOOL, [], [True]),
                     helper.make_tensor("old_w", T.FLOAT, [4, 3], [0.1] * 12)]
            g = helper.make_graph(nodes, "foreign", [helper.make_tensor_value_info("input", T.FLOAT, ["batch", 3, 8, 8])],
                [helper.make_tensor_value_info("logits", T.FLOAT, ["batch", 4]),
                 helper.make_tensor_value_info("features", T.FLOAT, ["batch", 3])], inits)
            m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="elsewhere")
            m.ir_version = 8
            helper.set_model_props(m, {"labels": '["a","b","c","d"]', "input_size": "8"})
            onnx.checker.check_model(m, full_check=True)
            onnx.save(m, sys.argv[1])
            """, foreign);

        // Parsing and re-serialising alone keeps every field.
        var roundTripped = dir.File("round-tripped.onnx");
        File.WriteAllBytes(roundTripped, ModelProto.Parser.ParseFrom(File.ReadAllBytes(foreign)).ToByteArray());
        RunOnnxScript("""
            import sys, onnx
            assert onnx.load(sys.argv[1]) == onnx.load(sys.argv[2]), "round trip changed the model"
            """, foreign, roundTripped);

        var head = RandomHead(3, 2, layers: 2, seed: 5);
        var grafted = dir.File("foreign-grafted.onnx");
        OnnxHeadGrafting.Graft(foreign, head, ["yes", "no"], grafted);
        var report = RunOnnxScript("""
            import sys, onnx
            m = onnx.load(sys.argv[1])
            onnx.checker.check_model(m, full_check=True)
            print(m.producer_name, [n.doc_string for n in m.graph.node if n.op_type == "ReduceMean"][0],
                  [list(t.float_data) for t in m.graph.initializer if t.name == "w"][0],
                  "old_w" in {t.name for t in m.graph.initializer})
            """, grafted);
        Assert.AreEqual("elsewhere global pool [2.0, -1.0, 0.5] False", report.Trim());

        var pixels = Enumerable.Range(0, 2 * 3 * 8 * 8).Select(i => (float)Math.Sin(i)).ToArray();
        var results = OrtRunner.Run(grafted, pixels, 2, 3, 8, 8);
        var features = results["features"].Values;
        var logits = results["logits"].Values;
        for (var n = 0; n < 2; n++)
            AssertClose(head.Logits(features.AsSpan(n * 3, 3)), logits.AsSpan(n * 2, 2), 1e-5f, $"foreign logits row {n}");
    }

    // Weights ~ U(-1, 1)/sqrt(in) so that logits stay O(1); hidden width 11.
    private static ClassifierHead RandomHead(int features, int classes, int layers, int seed)
    {
        var random = new Random(seed);
        float[] Uniform(int n, float lo, float hi) => Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * random.NextSingle()).ToArray();
        var sizes = layers == 1 ? new[] { features, classes } : [features, 11, classes];
        var dense = new List<DenseLayer>();
        for (var i = 0; i + 1 < sizes.Length; i++)
        {
            var bound = 1f / MathF.Sqrt(sizes[i]);
            dense.Add(new DenseLayer(sizes[i], sizes[i + 1], Uniform(sizes[i] * sizes[i + 1], -bound, bound), Uniform(sizes[i + 1], -0.5f, 0.5f)));
        }
        return new ClassifierHead(Uniform(features, -0.2f, 0.2f), Uniform(features, 0.5f, 2f), dense);
    }

    private static string RunOnnxScript(string script, params string[] args)
    {
        PythonRunner.RequirePython();
        try
        {
            return PythonRunner.Run(script, args);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("No module named 'onnx'", StringComparison.Ordinal))
        {
            Assert.Inconclusive("Python's onnx package is not installed (apt-get install python3-onnx).");
            throw;
        }
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance, string what)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: length");
        var worst = 0f;
        for (var i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        Assert.IsTrue(worst <= tolerance, $"{what}: max abs diff {worst:E3}");
    }
}
