using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Tests.Models;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;
using TorchSharp;
using static InceptionNeXt.Tests.Models.ZooTestHelpers;
using static TorchSharp.torch;

namespace InceptionNeXt.Tests.Export;

/// <summary>
/// iFormer exported by the TorchSharp graph writer (attention as MatMul / Softmax, AveragePool, nearest Resize, MaxPool):
/// ONNX Runtime's CPU provider against TorchSharp on the same input, and python3-onnx's checker with strict shape inference.
/// </summary>
[TestClass]
public sealed class IFormerOnnxExportTests
{
    private const double Tolerance = 1e-4;

    [TestMethod]
    [DataRow("iformer_small", 224)]
    [DataRow("iformer_small", 96)]
    [DataRow("tiny", 64)]
    public void OrtOutputsEqualTorchSharp(string name, int size)
    {
        set_num_threads(2);
        manual_seed(3);
        var config = name == "tiny" ? IFormerModelTests.Tiny : ModelRegistry.GetConfig(name);
        using var model = TorchModelRegistry.Create(config);
        IFormerModelTests.Randomise(model);
        model.eval();
        using var x = randn(2, 3, size, size);
        float[] logits, pooled;
        using (no_grad())
        {
            using var l = model.call(x);
            using var p = model.forward_pooled_features(x);
            (logits, pooled) = (ToArray(l), ToArray(p));
        }
        var bytes = TorchOnnxExporter.Export(model, new OnnxExportOptions { ImageSize = size, IncludePreLogits = true });
        var ort = OrtRunner.Run(bytes, ToArray(x), 2, 3, size, size);
        CollectionAssert.AreEqual(new long[] { 2, config.NumClasses }, ort["logits"].Shape);
        var worst = Math.Max(MaxAbsDiff(logits, ort["logits"].Values), MaxAbsDiff(pooled, ort["features"].Values));
        worst = Math.Max(worst, MaxAbsDiff(pooled, ort["pre_logits"].Values));
        Console.WriteLine($"{name}@{size}: ORT vs TorchSharp max abs diff {worst:E2}");
        Assert.IsTrue(worst <= Tolerance, $"{name}@{size}: max abs diff {worst:E3}");
        Assert.IsTrue(logits.Any(v => Math.Abs(v) > 1e-3), "non-trivial logits");
    }

    [TestMethod]
    public void ExportPassesOnnxCheckerWithStrictShapeInference()
    {
        PythonRunner.RequireTorch();
        using var dir = new TempDir();
        using var model = TorchModelRegistry.Create(IFormerModelTests.Tiny);
        var path = dir.File("model.onnx");
        TorchOnnxExporter.Export(model, path, new OnnxExportOptions { ImageSize = 64, IncludePreLogits = true, EmbedPreprocessing = true });
        var report = PythonRunner.Run("""
            import sys, json, onnx
            m = onnx.load(sys.argv[1])
            onnx.checker.check_model(m, full_check=True)
            inferred = onnx.shape_inference.infer_shapes(m, strict_mode=True)
            dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
            print(json.dumps({"logits": dims(inferred.graph.output[0]), "ops": sorted({n.op_type for n in m.graph.node}),
                              "config": {p.key: p.value for p in m.metadata_props}["model_config"]}))
            """, path);
        using var json = System.Text.Json.JsonDocument.Parse(report);
        var root = json.RootElement;
        Assert.AreEqual("[\"batch\",7]", root.GetProperty("logits").GetRawText().Replace(" ", ""));
        var ops = root.GetProperty("ops").EnumerateArray().Select(e => e.GetString()).ToList();
        foreach (var op in new[] { "MatMul", "Softmax", "Transpose", "Reshape", "MaxPool", "AveragePool", "Resize", "LayerNormalization" })
            CollectionAssert.Contains(ops, op);
        CollectionAssert.DoesNotContain(ops, "BatchNormalization", "BatchNorm folded into the convolutions");
        Assert.AreEqual(IFormerModelTests.Tiny.ToJson(), ModelConfig.FromJson(root.GetProperty("config").GetString()!).ToJson(),
            "the iFormer config round-trips through the metadata");
    }
}
