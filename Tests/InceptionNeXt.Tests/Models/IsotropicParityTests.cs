using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;
using TorchSharp;
using static InceptionNeXt.Tests.Models.ZooTestHelpers;
using static TorchSharp.torch;

namespace InceptionNeXt.Tests.Models;

/// <summary>
/// The isotropic models against tools/reference/metanext_ref.py's <c>IsotropicRef</c> (itself checked against
/// facebookresearch/ConvNeXt's convnext_isotropic.py: same keys in the same order, identical logits) on Debian's
/// python3-torch 1.13: the same random state dict loaded strictly on both sides, eval logits and features of the real
/// variants, and in training mode logits, loss and gradients of a small config with layer scale.
/// </summary>
[TestClass]
public sealed class IsotropicParityTests
{
    [TestMethod]
    [DataRow("convnext_isotropic_small")]
    [DataRow("inceptionnext_isotropic_small")]
    public void IsotropicEvalLogitsMatchPyTorch(string name)
    {
        using var dir = new TempDir();
        set_num_threads(1);
        manual_seed(7);
        using var model = TorchModelRegistry.Create(name);
        RandomiseNormStatistics(model, normWeights: true);
        using var x = randn(2, 3, 64, 64);
        var reference = TorchPyTorchParityTests.RunReference(dir, model, x, null, "eval", []);

        model.eval();
        using var noGrad = no_grad();
        using var features = model.forward_features(x);
        using var logits = model.forward_head(features);
        var f = TorchPyTorchParityTests.AssertClose(reference["features"], features, $"{name} features");
        var l = TorchPyTorchParityTests.AssertClose(reference["logits"], logits, $"{name} logits");
        Console.WriteLine($"{name}: max |TorchSharp - PyTorch| features {f:E2}, logits {l:E2}");
    }

    [TestMethod]
    [DataRow(ModelFamily.ConvNeXt)]
    [DataRow(ModelFamily.InceptionNeXt)]
    public void IsotropicTrainLogitsAndGradientsMatchPyTorch(ModelFamily family)
    {
        using var dir = new TempDir();
        set_num_threads(1);
        manual_seed(11);
        var config = new ModelConfig
        {
            Name = "iso_custom", Family = family, Isotropic = true, Depths = [3], Dims = [64], MlpRatios = [3], StemStride = 8,
            NumClasses = 6, LayerScaleInit = 1e-6, BandKernelSize = 7,
        };
        using var model = TorchModelRegistry.Create(config);
        RandomiseNormStatistics(model, normWeights: true);
        using var x = randn(4, 3, 48, 48);
        using var target = randint(6, [4]);
        var names = model.named_parameters().Select(p => p.name).ToList();
        var picked = new[] { "stem.weight", "head.weight", "norm.weight", "blocks.1.gamma", "blocks.2.pwconv1.weight" }
            .Concat(names.Where(n => n.StartsWith("blocks.0.dwconv.", StringComparison.Ordinal)).Take(2)).ToArray();
        var reference = TorchPyTorchParityTests.RunReference(dir, model, x, target, "train", picked);

        model.train();
        using var scope = NewDisposeScope();
        var logits = model.call(x);
        var loss = nn.functional.cross_entropy(logits, target);
        loss.backward();
        var worst = TorchPyTorchParityTests.AssertClose(reference["logits"], logits, "train logits");
        worst = Math.Max(worst, TorchPyTorchParityTests.AssertClose(reference["loss"], loss, "loss"));
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var name in picked)
            worst = Math.Max(worst, TorchPyTorchParityTests.AssertClose(reference["grad." + name], parameters[name].grad ?? throw new AssertFailedException($"{name} has no gradient"), $"grad {name}"));
        Console.WriteLine($"{family} isotropic train step: max |TorchSharp - PyTorch| {worst:E2}");
    }

    [TestMethod]
    public void IsotropicCheckpointSavedInTheOfficialLayoutLoadsThroughPretrainedWeights()
    {
        // A checkpoint as facebookresearch/ConvNeXt's main.py saves it ({"model": state_dict, ...}), written by the
        // reference model, loads strictly by name, the class count taken from it, and gives PyTorch's logits.
        using var dir = new TempDir();
        PythonRunner.RequireTorch();
        PythonRunner.Run("""
            import sys, torch
            sys.path.insert(0, sys.argv[1])
            from metanext_ref import build_model
            torch.manual_seed(5)
            model = build_model({"variant": "inceptionnext_isotropic_small", "num_classes": 10}).eval()
            with torch.no_grad():
                for k, v in model.state_dict().items():
                    if k.endswith("norm.weight"): v.uniform_(0.5, 1.5)
                    elif k.endswith("norm.bias") or k.endswith(".bias"): v.normal_(0, 0.1)
                x = torch.randn(2, 3, 96, 96)
                torch.save({"model": model.state_dict(), "epoch": 299}, sys.argv[2] + "/checkpoint.pth")
                torch.save({"x": x, "logits": model(x)}, sys.argv[2] + "/out.pth")
            """, Path.GetDirectoryName(ReferenceScripts.PathOf("metanext_ref.py"))!, dir.Path);
        var tree = (Dictionary<string, object?>)PthReader.Load(dir.File("out.pth"))!;
        set_num_threads(1);
        using var model = PretrainedWeights.Create("inceptionnext_isotropic_small", dir.File("checkpoint.pth"));
        Assert.AreEqual(10, model.Config.NumClasses);
        using var x = ((TensorData)tree["x"]!).ToTorchSharp();
        model.eval();
        using var noGrad = no_grad();
        using var logits = model.call(x);
        var worst = TorchPyTorchParityTests.AssertClose((TensorData)tree["logits"]!, logits, "logits");
        Console.WriteLine($"official-layout checkpoint: max |TorchSharp - PyTorch| logits {worst:E2}");
    }
}
