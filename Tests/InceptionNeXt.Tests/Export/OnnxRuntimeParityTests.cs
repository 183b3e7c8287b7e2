using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.LibTorch;
using InceptionNeXt.Training.Models;

namespace InceptionNeXt.Tests.Export;

/// <summary>Exported graphs run by ONNX Runtime give libtorch's logits, features and pre-logits (1e-4 abs).</summary>
[TestClass]
public sealed class OnnxRuntimeParityTests
{
    private const float Tolerance = 1e-4f;

    [TestMethod]
    [DynamicData(nameof(OnnxExportTests.SmallModels), typeof(OnnxExportTests))]
    public void OrtOutputsEqualLibtorch(ModelConfig config) => AssertParity(config, embedPreprocessing: false);

    [TestMethod]
    public void EmbeddedPreprocessingTakesRawPixels()
    {
        AssertParity(ModelRegistry.GetConfig("inceptionnext_atto") with { NumClasses = 6 }, embedPreprocessing: true);
        AssertParity(ModelRegistry.GetConfig("convnext_atto") with { NumClasses = 6 }, embedPreprocessing: true);
    }

    [TestMethod]
    public void SplitMixerFormEqualsLibtorchAndTheFusedForm()
    {
        foreach (var config in new[]
        {
            ModelRegistry.GetConfig("inceptionnext_atto") with { NumClasses = 7 },
            ModelRegistry.GetConfig("inceptionnext_atto") with { Name = "atto_third", BranchRatio = 1.0 / 3, StemStride = 1, NumClasses = 3 },
        })
        {
            var split = AssertParity(config, embedPreprocessing: false, MixerOnnxForm.Split);
            var fused = AssertParity(config, embedPreprocessing: false, MixerOnnxForm.Fused);
            var worst = split.Zip(fused, (a, b) => Math.Abs(a - b)).Max();
            Assert.IsTrue(worst <= 1e-5f, $"{config.Name}: split and fused mixer logits differ by {worst:E3}");
        }
    }

    private static float[] AssertParity(ModelConfig config, bool embedPreprocessing, MixerOnnxForm form = MixerOnnxForm.Fused)
    {
        const int size = 64, batch = 3;
        Torch.NumThreads = 2;
        Torch.ManualSeed(5);
        using var model = ModelRegistry.Create(config);
        // Non-trivial BN statistics and layer scales, so folding and scaling are really exercised.
        foreach (var (name, t) in model.NamedStateTensors())
        {
            if (name.EndsWith("running_mean", StringComparison.Ordinal)) Init.Normal(t, 0, 0.2);
            else if (name.EndsWith("running_var", StringComparison.Ordinal)) Init.Uniform(t, 0.5, 2);
            else if (name.EndsWith(".gamma", StringComparison.Ordinal)) Init.Normal(t, 0, 0.5);
        }
        model.Eval();
        var bytes = OnnxExporter.Export(model, new OnnxExportOptions
        {
            ImageSize = size, IncludePreLogits = true, EmbedPreprocessing = embedPreprocessing, MixerForm = form,
        });

        using var noGrad = Torch.NoGrad();
        using var pixels = Torch.Rand([batch, 3, size, size]) * 255.0;
        var pre = config.Preprocessing;
        using var mean = Torch.FromArray(pre.Mean, [1, 3, 1, 1]);
        using var std = Torch.FromArray(pre.Std, [1, 3, 1, 1]);
        using var scaled = pixels / 255.0;
        using var centred = scaled - mean;
        using var normalised = centred / std;
        using var map = model.ForwardFeatures(normalised);
        using var features = map.Mean([2, 3]);
        using var preLogits = model.ForwardHead(map, preLogits: true);
        using var logits = model.ForwardHead(map);

        var feed = (embedPreprocessing ? pixels : normalised).ToFloatArray();
        var results = OrtRunner.Run(bytes, feed, batch, 3, size, size);
        AssertClose(logits, results["logits"], $"{config.Name} logits");
        AssertClose(features, results["features"], $"{config.Name} features");
        AssertClose(preLogits, results["pre_logits"], $"{config.Name} pre_logits");
        return results["logits"].Values;
    }

    private static void AssertClose(Tensor expected, OrtOutput actual, string what)
    {
        CollectionAssert.AreEqual(expected.Shape, actual.Shape, $"{what}: shape");
        var e = expected.ToFloatArray();
        var a = actual.Values;
        var worst = 0f;
        for (var i = 0; i < e.Length; i++) worst = Math.Max(worst, Math.Abs(e[i] - a[i]));
        Assert.IsTrue(worst <= Tolerance, $"{what}: max abs diff {worst:E3}");
    }
}
