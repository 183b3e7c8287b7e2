using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.TorchModels;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace InceptionNeXt.Tests.Optim;

/// <summary>
/// TorchSharp's AdamW and SGD, set up by <see cref="TorchOptimizers"/> with timm's weight-decay groups, against
/// torch.optim (Debian's python3-torch 1.13) on the same small MLP, weights, inputs and targets.
/// </summary>
[TestClass]
public sealed class TorchOptimizerParityTests
{
    private const double Tolerance = 1e-5;
    private const int Steps = 5;
    private const double WeightDecay = 0.05;

    // Runs the same training loop as the C# side; groups by the same rule as Optimizer.DecayGroups.
    private const string TrainScript = """
import sys, torch
torch.set_num_threads(1)
weights, data, kind, lr, wd, out = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.GELU(), torch.nn.Linear(5, 3))
model.load_state_dict(torch.load(weights), strict=True)
d = torch.load(data)
x, y = d["x"], d["y"]
decay = [p for n, p in model.named_parameters() if p.ndim > 1 and not n.endswith(".bias")]
no_decay = [p for n, p in model.named_parameters() if not (p.ndim > 1 and not n.endswith(".bias"))]
groups = [{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}]
if kind == "adamw":
    opt = torch.optim.AdamW(groups, lr=lr)
elif kind == "sgd":
    opt = torch.optim.SGD(groups, lr=lr, momentum=0.9, nesterov=False)
elif kind == "sgd_nesterov":
    opt = torch.optim.SGD(groups, lr=lr, momentum=0.9, nesterov=True)
else:
    raise SystemExit("unknown optimizer " + kind)
for _ in range(int(d["steps"])):
    opt.zero_grad()
    loss = torch.nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
torch.save(model.state_dict(), out)
""";

    private static Sequential CreateModel(long seed)
    {
        manual_seed(seed);
        var model = nn.Sequential(nn.Linear(6, 5), nn.GELU(), nn.Linear(5, 3));
        // Non-zero biases, so that the no-decay group and bias updates are exercised from step one.
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.EndsWith(".bias", StringComparison.Ordinal)) p.uniform_(-0.5, 0.5);
        return model;
    }

    [TestMethod]
    [DataRow("adamw", 1e-2)]
    [DataRow("sgd", 0.1)]
    [DataRow("sgd_nesterov", 0.1)]
    public void FiveStepsMatchTorchOptim(string kind, double learningRate)
    {
        PythonRunner.RequireTorch();
        using var dir = new TempDir();
        set_num_threads(1);
        using var model = CreateModel(21);
        Checkpoint.SaveStateDict(dir.File("weights.pth"), model.ToStateDict());
        var initial = model.ToStateDict();
        manual_seed(22);
        using var x = randn(8, 6);
        using var y = randint(3, [8]);
        PthWriter.Save(dir.File("data.pth"), new Dictionary<string, object?>
        {
            ["x"] = x.ToTensorData(), ["y"] = y.ToTensorData(), ["steps"] = (long)Steps,
        });

        using optim.Optimizer optimizer = kind switch
        {
            "adamw" => TorchOptimizers.AdamW(model, learningRate, WeightDecay),
            "sgd" => TorchOptimizers.Sgd(model, learningRate, WeightDecay, momentum: 0.9, nesterov: false),
            "sgd_nesterov" => TorchOptimizers.Sgd(model, learningRate, WeightDecay, momentum: 0.9, nesterov: true),
            _ => throw new ArgumentException(kind),
        };
        Assert.AreEqual(2, optimizer.ParamGroups.Count());
        for (var step = 0; step < Steps; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            optimizer.step();
        }

        PythonRunner.Run(TrainScript, dir.File("weights.pth"), dir.File("data.pth"), kind,
            learningRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            WeightDecay.ToString("R", System.Globalization.CultureInfo.InvariantCulture), dir.File("out.pth"));
        var expected = Checkpoint.LoadStateDict(dir.File("out.pth"));
        var actual = model.ToStateDict();
        CollectionAssert.AreEqual(expected.Keys.ToList(), actual.Keys.ToList());
        foreach (var name in expected.Keys)
        {
            var e = expected[name].ToFloat32();
            var a = actual[name].ToFloat32();
            var start = initial[name].ToFloat32();
            var worst = e.Zip(a, (p, q) => Math.Abs(p - q)).Max();
            var moved = e.Zip(start, (p, q) => Math.Abs(p - q)).Max();
            Assert.IsTrue(moved > 1e-3, $"{kind} {name}: the reference barely moved ({moved:E2}); the comparison would be vacuous");
            Assert.IsTrue(worst <= Tolerance, $"{kind} {name}: max abs diff {worst:E3} > {Tolerance:E0} (moved {moved:E2})");
        }
    }

    [TestMethod]
    public void DecayGroupsFollowTimmAndSkipFrozenParameters()
    {
        using var model = TorchModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 3, Depths = [1, 1, 1, 1] });
        var (decay, noDecay) = TorchOptimizers.DecayGroups(model);
        Assert.IsTrue(decay.All(p => p.dim() > 1));
        Assert.IsTrue(noDecay.All(p => p.dim() <= 1), "biases, norms and gamma are 1-d");
        Assert.AreEqual(model.parameters().Count(), decay.Count + noDecay.Count);
        model.Stem.parameters().ToList().ForEach(p => p.requires_grad = false);
        var (decay2, noDecay2) = TorchOptimizers.DecayGroups(model);
        Assert.AreEqual(model.parameters().Count() - model.Stem.parameters().Count(), decay2.Count + noDecay2.Count, "frozen stem left out");
        using var sgd = TorchOptimizers.Sgd(model, 0.1, 1e-4);
        TorchOptimizers.SetLearningRate(sgd, 0.01);
        Assert.IsTrue(sgd.ParamGroups.All(g => g.LearningRate == 0.01));
    }
}
