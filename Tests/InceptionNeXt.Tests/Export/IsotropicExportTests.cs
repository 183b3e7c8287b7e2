using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;
using TorchSharp;
using static InceptionNeXt.Tests.Models.ZooTestHelpers;
using static TorchSharp.torch;
using ImageClassifier = InceptionNeXt.Training.TorchModels.ImageClassifier;

namespace InceptionNeXt.Tests.Export;

/// <summary>
/// The isotropic models exported to ONNX and run on ONNX Runtime's CPU provider against TorchSharp's eval outputs:
/// inceptionnext_isotropic_small at 224 px through <c>inceptionnext export</c> with its weights, both mixer forms,
/// pre-logits and features, and a small ConvNeXt-iso with layer scale.
/// </summary>
[TestClass]
public sealed class IsotropicExportTests
{
    [TestMethod]
    public void IsotropicSmallExportedByTheCliMatchesTorchSharpOnOrt()
    {
        using var dir = new TempDir();
        set_num_threads(2);
        manual_seed(3);
        using var model = TorchModelRegistry.Create("inceptionnext_isotropic_small", c => c with { NumClasses = 10 });
        RandomiseNormStatistics(model, normWeights: true);
        var weights = dir.File("iso.safetensors");
        Checkpoint.SaveStateDict(weights, model.ToStateDict());
        using var x = randn(2, 3, 224, 224);
        var expected = TorchOnnxExportTests.TorchOutputs(model, x);

        var onnx = dir.File("iso.onnx");
        var (code, _, stderr) = ProcessRunner.RunCli("export", "--model", "inceptionnext_isotropic_small", "--weights", weights,
            "--output", onnx, "--pre-logits");
        Assert.AreEqual(0, code, stderr);
        var ort = OrtRunner.Run(onnx, ToArray(x), 2, 3, 224, 224);
        CollectionAssert.AreEqual(new long[] { 2, 10 }, ort["logits"].Shape);
        var worst = TorchOnnxExportTests.AssertClose(expected.Logits, ort["logits"].Values, "logits");
        worst = Math.Max(worst, TorchOnnxExportTests.AssertClose(expected.Features, ort["features"].Values, "features"));
        worst = Math.Max(worst, TorchOnnxExportTests.AssertClose(expected.PreLogits, ort["pre_logits"].Values, "pre_logits"));
        Console.WriteLine($"inceptionnext_isotropic_small 224 px: max |ORT - TorchSharp| {worst:E2}");

        // The literal Split/Concat mixer gives the same outputs.
        var split = TorchOnnxExporter.Export(model, new OnnxExportOptions { MixerForm = MixerOnnxForm.Split });
        TorchOnnxExportTests.AssertClose(expected.Logits, OrtRunner.Run(split, ToArray(x), 2, 3, 224, 224)["logits"].Values, "split mixer logits");
    }

    [TestMethod]
    public void IsotropicConvNeXtWithLayerScaleMatchesOnOrt()
    {
        set_num_threads(1);
        manual_seed(4);
        var config = ModelRegistry.GetConfig("convnext_isotropic_small") with
        {
            NumClasses = 5, Depths = [2], Dims = [64], StemStride = 8, LayerScaleInit = 1e-6, KernelSize = 5,
        };
        using var model = TorchModelRegistry.Create(config);
        RandomiseNormStatistics(model, normWeights: true);
        using var x = randn(2, 3, 40, 40);
        var expected = TorchOnnxExportTests.TorchOutputs(model, x);
        var bytes = TorchOnnxExporter.Export(model, new OnnxExportOptions { ImageSize = 40, IncludePreLogits = true });
        var ort = OrtRunner.Run(bytes, ToArray(x), 2, 3, 40, 40);
        TorchOnnxExportTests.AssertClose(expected.Logits, ort["logits"].Values, "logits");
        TorchOnnxExportTests.AssertClose(expected.PreLogits, ort["pre_logits"].Values, "pre_logits");
        Assert.ThrowsExactly<ArgumentException>(() => TorchOnnxExporter.Export(model, new OnnxExportOptions { ImageSize = 4 }));
    }
}
