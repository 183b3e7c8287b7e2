using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;
using TorchSharp;
using static InceptionNeXt.Tests.Models.ZooTestHelpers;
using static TorchSharp.torch;
using ImageClassifier = InceptionNeXt.Training.TorchModels.ImageClassifier;

namespace InceptionNeXt.Tests.Export;

/// <summary>
/// ONNX written by walking the TorchSharp modules, run on ONNX Runtime's CPU provider, against the TorchSharp model's
/// own eval outputs on the same input: logits, pooled features and pre-logits, for both families and their variants,
/// the fused and the split mixer, and embedded preprocessing.
/// </summary>
[TestClass]
public sealed class TorchOnnxExportTests
{
    private const double Tolerance = 1e-4;

    public static IEnumerable<object[]> Configs()
    {
        yield return [ModelRegistry.GetConfig("inceptionnext_atto") with { NumClasses = 10, Depths = [1, 1, 2, 1] }];
        yield return [ModelRegistry.GetConfig("inceptionnext_tiny") with { NumClasses = 6, Depths = [1, 1, 1, 1], Dims = [48, 96, 144, 192], StemStride = 2 }];
        yield return [ModelRegistry.GetConfig("convnext_atto") with { NumClasses = 10, Depths = [1, 1, 2, 1] }];
        yield return [ModelRegistry.GetConfig("convnext_tiny") with { NumClasses = 5, Depths = [1, 1, 1, 1], Dims = [24, 48, 96, 128] }];
        yield return [ModelRegistry.GetConfig("convnext_tiny_k3_par1_4") with { NumClasses = 3, Depths = [1, 1, 1, 1], Dims = [32, 64, 96, 128], StemStride = 1 }];
    }

    /// <summary>The eval outputs the ONNX graph exports: logits, pooled features and pre-logits.</summary>
    internal static (float[] Logits, float[] Features, float[] PreLogits) TorchOutputs(ImageClassifier model, Tensor x)
    {
        model.eval();
        using var noGrad = no_grad();
        using var features = model.forward_features(x);
        using var pooled = features.mean([2, 3]);
        using var preLogits = model.forward_head(features, preLogits: true);
        using var logits = model.forward_head(features);
        return (ToArray(logits), ToArray(pooled), ToArray(preLogits));
    }

    private static ImageClassifier Model(ModelConfig config, int seed)
    {
        manual_seed(seed);
        var model = TorchModelRegistry.Create(config);
        RandomiseNormStatistics(model, normWeights: true);
        return model;
    }

    [TestMethod]
    [DynamicData(nameof(Configs))]
    public void OrtOutputsEqualTorchSharp(ModelConfig config)
    {
        set_num_threads(1);
        using var model = Model(config, 3);
        var size = config.MinInputSize * 2;
        using var x = randn(2, 3, size, size);
        var expected = TorchOutputs(model, x);
        var bytes = TorchOnnxExporter.Export(model, new OnnxExportOptions { ImageSize = size, IncludePreLogits = true });
        var ort = OrtRunner.Run(bytes, ToArray(x), 2, 3, size, size);
        AssertClose(expected.Logits, ort["logits"].Values, $"{config.Name} logits");
        AssertClose(expected.Features, ort["features"].Values, $"{config.Name} features");
        AssertClose(expected.PreLogits, ort["pre_logits"].Values, $"{config.Name} pre_logits");
        CollectionAssert.AreEqual(new long[] { 2, config.NumClasses }, ort["logits"].Shape);
    }

    [TestMethod]
    public void SplitMixerFormEqualsTheFusedFormAndHasSplitNodes()
    {
        var config = ModelRegistry.GetConfig("inceptionnext_atto") with { NumClasses = 4, Depths = [1, 1, 1, 1] };
        using var model = Model(config, 4);
        using var x = randn(1, 3, 64, 64);
        var expected = TorchOutputs(model, x);
        var fused = TorchOnnxExporter.Export(model, new OnnxExportOptions { ImageSize = 64 });
        var split = TorchOnnxExporter.Export(model, new OnnxExportOptions { ImageSize = 64, MixerForm = MixerOnnxForm.Split });
        Assert.AreNotEqual(fused.Length, split.Length, "the two forms are different graphs");
        AssertClose(expected.Logits, OrtRunner.Run(fused, ToArray(x), 1, 3, 64, 64)["logits"].Values, "fused");
        AssertClose(expected.Logits, OrtRunner.Run(split, ToArray(x), 1, 3, 64, 64)["logits"].Values, "split");
    }

    [TestMethod]
    public void EmbeddedPreprocessingTakesRawPixels()
    {
        var config = ModelRegistry.GetConfig("convnext_atto") with { NumClasses = 4, Depths = [1, 1, 1, 1] };
        using var model = Model(config, 5);
        var pre = config.Preprocessing;
        using var raw = rand(1, 3, 32, 32).mul(255);
        using var mean = tensor(pre.Mean).reshape(1, 3, 1, 1);
        using var std = tensor(pre.Std).reshape(1, 3, 1, 1);
        using var normalised = raw.div(255).sub(mean).div(std);
        var expected = TorchOutputs(model, normalised);
        var bytes = TorchOnnxExporter.Export(model, new OnnxExportOptions { ImageSize = 32, EmbedPreprocessing = true, Labels = ["a", "b", "c", "d"] });
        AssertClose(expected.Logits, OrtRunner.Run(bytes, ToArray(raw), 1, 3, 32, 32)["logits"].Values, "embedded preprocessing");
        Assert.ThrowsExactly<ArgumentException>(() => TorchOnnxExporter.Export(model, new OnnxExportOptions { Labels = ["only one"] }));
        Assert.ThrowsExactly<ArgumentException>(() => TorchOnnxExporter.Export(model, new OnnxExportOptions { ImageSize = 16 }));
    }

    /// <summary>Asserts that ONNX Runtime's output is within the export tolerance of TorchSharp's; returns the worst difference.</summary>
    internal static double AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.HasCount(expected.Length, actual, what);
        var worst = MaxAbsDiff(expected, actual);
        Assert.IsTrue(worst <= Tolerance, $"{what}: max abs diff {worst:E3} > {Tolerance:E0}");
        Assert.IsTrue(expected.Any(v => Math.Abs(v) > 1e-3), $"{what}: not trivially zero");
        return worst;
    }
}
