using System.Globalization;
using System.Text.Json;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.TorchModels;
using InceptionNeXt.Training.TorchTraining;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Tests.Training;

/// <summary>TorchModelEma against the same EMA computed in PyTorch (timm's update rule; ints copied like ModelEmaV3).</summary>
[TestClass]
public sealed class TorchModelEmaTests
{
    private const string Script = """
import sys, json, torch
d = torch.load(sys.argv[1])
decay, warmup = float(sys.argv[2]), sys.argv[3] == "1"
ema = {k: v.clone() for k, v in d["ema0"].items()}
decays = []
for step, sd in enumerate(d["models"]):
    dec = decay
    if warmup:
        dec = max(0.0, min(decay, 1.0 - (1.0 + step / 1.0) ** -(2.0 / 3)))
    decays.append(dec)
    with torch.no_grad():
        for k, e in ema.items():
            m = sd[k]
            if e.is_floating_point():
                e.copy_(dec * e + (1.0 - dec) * m)
            else:
                e.copy_(m)
torch.save(ema, sys.argv[4])
print(json.dumps(decays))
""";

    private static Sequential CreateModel(long seed)
    {
        manual_seed(seed);
        return nn.Sequential(nn.Conv2d(3, 4, 3, padding: 1), nn.BatchNorm2d(4), nn.GELU());
    }

    [TestMethod]
    [DataRow(0.9, false)]
    [DataRow(0.9998, true)]
    public void MatchesPyTorch(double decay, bool warmup)
    {
        PythonRunner.RequireTorch();
        using var dir = new TempDir();
        using var model = CreateModel(1);
        using var emaModel = CreateModel(2);
        using var ema = new TorchModelEma(model, emaModel, decay, warmup);
        CollectionAssert.AreEqual(model.ToStateDict()["0.weight"].ToFloat32(), ema.Module.ToStateDict()["0.weight"].ToFloat32(), "starts as a copy");
        Assert.IsFalse(ema.Module.training);
        Assert.IsTrue(ema.Module.parameters().All(p => !p.requires_grad));
        var ema0 = ema.Module.ToStateDict();
        var models = new List<object?>();
        model.train();
        for (var step = 0; step < 4; step++)
        {
            using (NewDisposeScope())
            {
                // Change weights and BN statistics (and num_batches_tracked) as a training step would.
                using (no_grad())
                    foreach (var p in model.parameters())
                        p.add_(randn(p.shape), alpha: 0.1);
                model.call(randn(2, 3, 5, 5));
            }
            ema.Update();
            models.Add(model.ToStateDict());
        }
        Assert.AreEqual(4, ema.Updates);
        PthWriter.Save(dir.File("in.pth"), new Dictionary<string, object?> { ["ema0"] = ema0, ["models"] = models });
        var decays = JsonSerializer.Deserialize<double[]>(PythonRunner.Run(Script, dir.File("in.pth"),
            decay.ToString("R", CultureInfo.InvariantCulture), warmup ? "1" : "0", dir.File("out.pth")))!;
        for (var i = 0; i < decays.Length; i++) Assert.AreEqual(decays[i], ema.DecayAt(i), 1e-12);
        var expected = PthReader.ReadStateDict(dir.File("out.pth"));
        var actual = ema.Module.ToStateDict();
        Assert.AreEqual(expected.Count, actual.Count);
        foreach (var (name, value) in expected)
        {
            if (value.DType == TensorDType.Int64)
            {
                CollectionAssert.AreEqual(value.ToInt64(), actual[name].ToInt64(), name);
                Assert.AreEqual(4L, actual[name].ToInt64()[0], "int buffers are copied");
                continue;
            }
            var e = value.ToFloat32();
            var a = actual[name].ToFloat32();
            for (var k = 0; k < e.Length; k++) Assert.AreEqual(e[k], a[k], 1e-6, $"{name}[{k}]");
        }
    }

    [TestMethod]
    public void RejectsADifferentArchitecture()
    {
        using var model = CreateModel(1);
        using var other = nn.Sequential(nn.Conv2d(3, 5, 3, padding: 1), nn.BatchNorm2d(5), nn.GELU());
        Assert.ThrowsExactly<ArgumentException>(() => new TorchModelEma(model, other));
        Assert.ThrowsExactly<ArgumentException>(() => new TorchModelEma(model, model));
    }
}
