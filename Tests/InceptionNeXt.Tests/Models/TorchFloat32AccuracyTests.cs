using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;
using TorchSharp;
using static InceptionNeXt.Tests.Models.ZooTestHelpers;
using static TorchSharp.torch;

namespace InceptionNeXt.Tests.Models;

/// <summary>
/// float32 forward passes against a float64 copy of the same model (libtorch's float64 kernels do not go through
/// oneDNN), with every bias and norm parameter moved off its initial value as training moves them. libtorch 2.10's
/// oneDNN 1x1 convolution on channels-last input (brgconv_1x1:avx512_core) gave the stage-0 MLP of inceptionnext_atto
/// values 25% off on an AMD EPYC once its bias was nonzero (logits off by 4e-3), which fresh models with zero biases hide.
/// </summary>
[TestClass]
public sealed class TorchFloat32AccuracyTests
{
    [TestMethod]
    [DataRow("inceptionnext_atto", 2, 32, 8)]
    [DataRow("inceptionnext_atto", 4, 64, 4)]
    [DataRow("inceptionnext_tiny", 4, 64, 2)]
    [DataRow("convnext_atto", 2, 32, 8)]
    [DataRow("convnext_nano", 2, 32, 4)]
    [DataRow("iformer_small", 0, 64, 2)]
    [DataRow("inceptionnext_isotropic_small", 0, 64, 2)]
    public void Float32LogitsMatchFloat64WithTrainedBiases(string name, int stemStride, int size, int batch)
    {
        manual_seed(5);
        Func<ModelConfig, ModelConfig> configure = c => c with { NumClasses = 7, StemStride = stemStride > 0 ? stemStride : c.StemStride };
        using var model = TorchModelRegistry.Create(name, configure);
        RandomiseNormStatistics(model, normWeights: true);
        using (no_grad())
            foreach (var p in model.parameters())
                if (p.dim() == 1) p.add_(randn_like(p).mul_(0.1));
        model.eval();
        using var x = randn(batch, 3, size, size);

        using var reference = TorchModelRegistry.Create(name, configure);
        reference.load_state_dict(model.state_dict());
        reference.to(float64);
        reference.eval();
        float[] expected;
        using (no_grad())
        using (var x64 = x.to(float64))
        using (var logits = reference.call(x64))
        using (var rounded = logits.to(float32))
            expected = ToArray(rounded);
        Assert.IsTrue(expected.Max(Math.Abs) > 1e-2, "logits are not trivially small");
        foreach (var channelsLast in new[] { true, false })
        {
            model.UseChannelsLast = channelsLast;
            var actual = EvalLogits(model, x);
            var diff = MaxAbsDiff(actual, expected);
            Assert.IsTrue(diff <= 1e-4, $"{name}, channels-last {channelsLast}: float32 logits {diff:E2} from float64");
        }
    }
}
