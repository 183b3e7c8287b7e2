using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;
using TorchSharp;
using static InceptionNeXt.Tests.Models.ZooTestHelpers;
using static TorchSharp.torch;
using ImageClassifier = InceptionNeXt.Training.TorchModels.ImageClassifier;

namespace InceptionNeXt.Tests.Models;

/// <summary>
/// The TorchSharp models against the project's own PyTorch reference (tools/reference/metanext_ref.py) run by Debian's
/// python3-torch 1.13 on the same weights and input: eval logits and features, and in training mode logits, loss,
/// gradients and BatchNorm running statistics, each within 1e-4.
/// </summary>
[TestClass]
public sealed class TorchPyTorchParityTests
{
    private const double Tolerance = 1e-4;

    public static IEnumerable<object[]> Configs()
    {
        yield return ["inceptionnext_atto", ModelRegistry.GetConfig("inceptionnext_atto") with { NumClasses = 10 }, 64];
        yield return ["inceptionnext_small_custom", new ModelConfig
        {
            Name = "inceptionnext_custom", Family = ModelFamily.InceptionNeXt, Depths = [1, 1, 2, 1], Dims = [32, 64, 96, 128],
            MlpRatios = [4, 4, 4, 3], NumClasses = 7, StemStride = 2, BandKernelSize = 7,
        }, 48];
        yield return ["convnext_atto", ModelRegistry.GetConfig("convnext_atto") with { NumClasses = 10 }, 64];
        yield return ["convnext_linear_mlp", new ModelConfig
        {
            Name = "convnext_custom", Family = ModelFamily.ConvNeXt, Depths = [1, 1, 2, 1], Dims = [24, 48, 96, 128],
            MlpRatios = [4, 4, 4, 4], NumClasses = 5,
        }, 64];
        yield return ["convnext_partial_k3", new ModelConfig
        {
            Name = "convnext_par", Family = ModelFamily.ConvNeXt, Depths = [1, 1, 1, 1], Dims = [32, 64, 96, 128],
            MlpRatios = [4, 4, 4, 4], NumClasses = 3, KernelSize = 3, PartialRatio = 0.25, StemStride = 1,
        }, 16];
    }

    [TestMethod]
    [DynamicData(nameof(Configs))]
    public void EvalLogitsAndFeaturesMatchPyTorch(string label, ModelConfig config, int size)
    {
        using var dir = new TempDir();
        set_num_threads(1);
        manual_seed(7);
        using var model = TorchModelRegistry.Create(config);
        RandomiseNormStatistics(model, normWeights: true);
        using var x = randn(2, config.InChannels, size, size);
        var reference = RunReference(dir, model, x, null, "eval", []);

        model.eval();
        using var noGrad = no_grad();
        using var features = model.forward_features(x);
        using var logits = model.forward_head(features);
        AssertClose(reference["features"], features, $"{label} features");
        AssertClose(reference["logits"], logits, $"{label} logits");
    }

    [TestMethod]
    [DynamicData(nameof(Configs))]
    public void TrainLogitsGradientsAndRunningStatsMatchPyTorch(string label, ModelConfig config, int size)
    {
        using var dir = new TempDir();
        set_num_threads(1);
        manual_seed(11);
        using var model = TorchModelRegistry.Create(config);
        RandomiseNormStatistics(model, normWeights: true);
        using var x = randn(4, config.InChannels, size, size);
        using var target = randint(config.NumClasses, [4]);
        var names = model.named_parameters().Select(p => p.name).ToList();
        // First and last layers plus a layer scale and a token mixer / depthwise conv from the middle.
        var picked = new[] { names[0], names[^1], names[^3] }
            .Concat(names.Where(n => n.EndsWith(".gamma", StringComparison.Ordinal)).Take(1))
            .Concat(names.Where(n => n.Contains("dwconv_w") || n.Contains("conv_dw")).Take(1))
            .Distinct().ToArray();
        var reference = RunReference(dir, model, x, target, "train", picked);

        model.train();
        using var scope = NewDisposeScope();
        var logits = model.call(x);
        var loss = nn.functional.cross_entropy(logits, target);
        loss.backward();
        AssertClose(reference["logits"], logits, $"{label} train logits");
        AssertClose(reference["loss"], loss, $"{label} loss");
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var name in picked)
        {
            var grad = parameters[name].grad ?? throw new AssertFailedException($"{name} has no gradient");
            AssertClose(reference["grad." + name], grad, $"{label} grad {name}");
        }
        var checkedStats = 0;
        foreach (var (name, buffer) in model.named_buffers().Where(b => b.name.Contains("running_")))
        {
            AssertClose(reference["state." + name], buffer, $"{label} {name} after a training step");
            checkedStats++;
        }
        Assert.AreEqual(config.Family == ModelFamily.InceptionNeXt, checkedStats > 0, "InceptionNeXt has BatchNorm, ConvNeXt none");
    }

    internal static Dictionary<string, TensorData> RunReference(TempDir dir, ImageClassifier model, Tensor x, Tensor? target,
        string mode, string[] gradParams)
    {
        File.WriteAllText(dir.File("config.json"), model.Config.ToJson());
        Checkpoint.SaveStateDict(dir.File("weights.pth"), model.ToStateDict());
        PthWriter.Save(dir.File("x.pth"), new Dictionary<string, object?> { ["x"] = x.ToTensorData() });
        var args = new List<string>
        {
            "--config", dir.File("config.json"), "--weights", dir.File("weights.pth"), "--input", dir.File("x.pth"),
            "--mode", mode, "--output", dir.File("out.pth"), "--threads", "1",
        };
        if (target is not null)
        {
            PthWriter.Save(dir.File("t.pth"), new Dictionary<string, object?> { ["target"] = target.ToTensorData() });
            args.AddRange(["--target", dir.File("t.pth")]);
        }
        if (gradParams.Length > 0) args.AddRange(["--grad-params", string.Join(",", gradParams)]);
        ReferenceScripts.Run("parity.py", [.. args]);
        var tree = (Dictionary<string, object?>)PthReader.Load(dir.File("out.pth"))!;
        return tree.Where(kv => kv.Value is TensorData).ToDictionary(kv => kv.Key, kv => (TensorData)kv.Value!);
    }

    /// <summary>Asserts that <paramref name="actual"/> is within the parity tolerance of the reference and returns the worst difference.</summary>
    internal static double AssertClose(TensorData expected, Tensor actual, string what)
    {
        CollectionAssert.AreEqual(expected.Shape, actual.shape, $"{what}: shape");
        var e = expected.ToFloat32();
        var a = ToArray(actual);
        var worst = 0.0;
        for (var i = 0; i < e.Length; i++) worst = Math.Max(worst, Math.Abs(e[i] - a[i]));
        Assert.IsTrue(worst <= Tolerance, $"{what}: max abs diff {worst:E3} > {Tolerance:E0}");
        Assert.IsTrue(e.Any(v => v != 0), $"{what}: the reference is not all zeros");
        return worst;
    }
}
