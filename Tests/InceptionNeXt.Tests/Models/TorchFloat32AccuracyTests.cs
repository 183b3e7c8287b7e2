using InceptionNeXt.Training.Engine;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;
using TorchSharp;
using static InceptionNeXt.Tests.Models.ZooTestHelpers;
using static TorchSharp.torch;

namespace InceptionNeXt.Tests.Models;

/// <summary>
/// float32 forward passes and gradients against a float64 copy of the same model (libtorch's float64 kernels do not go
/// through oneDNN), with every bias and norm parameter moved off its initial value as training moves them. On an AMD
/// EPYC, libtorch 2.10's oneDNN AVX-512 kernels put inceptionnext_atto's logits 1e-2 off (a channels-last 1x1
/// convolution wrong in output channels 32-39) and iFormer's stem gradient 20% off, which fresh models hide (zero biases,
/// layer scales of 1e-6); the engine caps oneDNN at AVX2 there (<see cref="TorchEngine.OneDnnMaxCpuIsa"/>).
/// </summary>
[TestClass]
public sealed class TorchFloat32AccuracyTests
{
    [TestMethod]
    public void OneDnnIsCappedAtAvx2OnAmdProcessorsWithAvx512()
    {
        TorchEngine.EnsureInitialized();
        var userCap = Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA");
        var amdAvx512 = System.Runtime.Intrinsics.X86.Avx512F.IsSupported && System.Runtime.Intrinsics.X86.X86Base.IsSupported &&
            System.IO.File.Exists("/proc/cpuinfo") && System.IO.File.ReadAllText("/proc/cpuinfo").Contains("AuthenticAMD", StringComparison.Ordinal);
        if (amdAvx512) Assert.AreEqual("AVX2", TorchEngine.OneDnnMaxCpuIsa, $"environment had {userCap}");
        if (TorchEngine.OneDnnMaxCpuIsa is { } cap && OperatingSystem.IsLinux())
            Assert.AreEqual(cap, NativeGetEnv("ONEDNN_MAX_CPU_ISA"), "the C library's environment (what oneDNN reads)");
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "getenv")]
    private static extern nint GetEnv([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string name);

    private static string? NativeGetEnv(string name) => System.Runtime.InteropServices.Marshal.PtrToStringUTF8(GetEnv(name));

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
            var worst = WorstGradientError(model, reference, x);
            Assert.IsTrue(worst.Error <= 1e-3, $"{name}, channels-last {channelsLast}: gradient of {worst.Name} {worst.Error:E2} (relative to its largest element) from float64");
        }
    }

    // The parameter whose float32 gradient is furthest from the float64 one, relative to the float64 gradient's largest
    // element, for a fixed random weighting of the logits (eval mode: no dropout or batch statistics).
    private static (string Name, double Error) WorstGradientError(nn.Module model, nn.Module reference, Tensor x)
    {
        using var scope = NewDisposeScope();
        model.zero_grad();
        reference.zero_grad();
        var logits = ((nn.Module<Tensor, Tensor>)model).call(x);
        var weights = randn_like(logits);
        logits.mul(weights).sum().backward();
        ((nn.Module<Tensor, Tensor>)reference).call(x.to(float64)).mul(weights.to(float64)).sum().backward();
        var expected = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad);
        var worst = ("", 0.0);
        foreach (var (name, p) in model.named_parameters())
        {
            if (p.grad is not { } g || expected[name] is not { } e) continue;
            var scale = e.abs().max().item<double>();
            if (scale < 1e-8) continue;
            var error = (g.to(float64) - e).abs().max().item<double>() / scale;
            if (error > worst.Item2) worst = (name, error);
        }
        model.zero_grad();
        reference.zero_grad();
        return worst;
    }
}
