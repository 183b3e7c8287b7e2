using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;

namespace InceptionNeXt.Tests.Export;

/// <summary>The TorchSharp exporter's graphs against the ONNX specification (Debian python3-onnx's checker with shape inference).</summary>
[TestClass]
public sealed class TorchOnnxCheckerTests
{
    public static IEnumerable<object[]> SmallModels()
    {
        yield return [ModelRegistry.GetConfig("inceptionnext_atto") with { NumClasses = 10 }];
        yield return [ModelRegistry.GetConfig("convnext_atto") with { NumClasses = 10 }];
        yield return [ModelRegistry.GetConfig("convnext_femto")];
        yield return [ModelRegistry.GetConfig("inceptionnext_atto") with { Name = "atto_band13_stem2", BandKernelSize = 13, StemStride = 2, NumClasses = 4 }];
        yield return [ModelRegistry.GetConfig("inceptionnext_atto") with { Name = "atto_third", BranchRatio = 1.0 / 3, StemStride = 1, NumClasses = 3 }];
        yield return [new ModelConfig
        {
            Name = "convnext_small_par", Family = ModelFamily.ConvNeXt, Depths = [1, 1, 2, 1], Dims = [32, 64, 96, 128],
            MlpRatios = [4, 4, 4, 4], NumClasses = 5, KernelSize = 3, PartialRatio = 0.125,
        }];
    }

    [TestMethod]
    [DynamicData(nameof(SmallModels))]
    public void ExportPassesOnnxCheckerWithExpectedOutputsAndMetadata(ModelConfig config)
    {
        PythonRunner.RequireTorch();
        using var dir = new TempDir();
        using var model = TorchModelRegistry.Create(config);
        var path = dir.File("model.onnx");
        var labels = Enumerable.Range(0, config.NumClasses).Select(i => $"class {i}, \"quoted\"").ToArray();
        TorchOnnxExporter.Export(model, path, new OnnxExportOptions { ImageSize = 64, IncludePreLogits = true, EmbedPreprocessing = true, Labels = labels });
        var report = PythonRunner.Run("""
            import sys, json, onnx
            m = onnx.load(sys.argv[1])
            onnx.checker.check_model(m, full_check=True)
            inferred = onnx.shape_inference.infer_shapes(m, strict_mode=True)
            dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
            meta = {p.key: p.value for p in m.metadata_props}
            ops = sorted({n.op_type for n in m.graph.node})
            print(json.dumps({"opset": m.opset_import[0].version, "inputs": {i.name: dims(i) for i in m.graph.input},
                              "outputs": {o.name: dims(o) for o in m.graph.output}, "meta": meta, "ops": ops}))
            """, path);
        using var json = System.Text.Json.JsonDocument.Parse(report);
        var root = json.RootElement;
        Assert.AreEqual(17, root.GetProperty("opset").GetInt32());
        Assert.AreEqual("[\"batch\",3,64,64]", root.GetProperty("inputs").GetProperty("input").GetRawText().Replace(" ", ""));
        var outputs = root.GetProperty("outputs");
        Assert.AreEqual($"[\"batch\",{config.NumClasses}]", outputs.GetProperty("logits").GetRawText().Replace(" ", ""));
        Assert.AreEqual($"[\"batch\",{config.Dims[^1]}]", outputs.GetProperty("features").GetRawText().Replace(" ", ""));
        Assert.AreEqual($"[\"batch\",{model.PreLogitsSize}]", outputs.GetProperty("pre_logits").GetRawText().Replace(" ", ""));
        var ops = root.GetProperty("ops").EnumerateArray().Select(e => e.GetString()).ToList();
        CollectionAssert.DoesNotContain(ops, "BatchNormalization", "BatchNorm must be folded into convolutions");
        CollectionAssert.Contains(ops, "Erf", "GELU must use the erf form");
        if (config.Family == ModelFamily.InceptionNeXt)
        {
            // The mixer is exported as summed full-width depthwise convolutions, which ONNX Runtime keeps in NCHWc.
            CollectionAssert.DoesNotContain(ops, "Split", "the token mixer must not split channels");
            CollectionAssert.DoesNotContain(ops, "Concat", "the token mixer must not concatenate channels");
        }
        var meta = root.GetProperty("meta");
        Assert.AreEqual(config.Name, meta.GetProperty("model_name").GetString());
        Assert.AreEqual("rgb_0_255_nchw", meta.GetProperty("input_format").GetString());
        CollectionAssert.AreEqual(labels, System.Text.Json.JsonSerializer.Deserialize<string[]>(meta.GetProperty("labels").GetString()!));
        Assert.AreEqual(config.ToJson(), ModelConfig.FromJson(meta.GetProperty("model_config").GetString()!).ToJson(),
            "model_config metadata round-trips");
    }

    [TestMethod]
    public void BadExportRequestsAreRejectedWithClearMessages()
    {
        using var model = TorchModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 3 });
        var tooSmall = Assert.ThrowsExactly<ArgumentException>(() => TorchOnnxExporter.Export(model, new OnnxExportOptions { ImageSize = 16 }));
        StringAssert.Contains(tooSmall.Message, "32");
        var labels = Assert.ThrowsExactly<ArgumentException>(() => TorchOnnxExporter.Export(model, new OnnxExportOptions { Labels = ["a", "b"] }));
        StringAssert.Contains(labels.Message, "2 labels");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TorchOnnxExporter.Export(model, new OnnxExportOptions { Opset = 13 }));
    }
}
