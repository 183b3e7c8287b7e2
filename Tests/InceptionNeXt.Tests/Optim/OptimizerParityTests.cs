using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.LibTorch;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.Modules;
using InceptionNeXt.Training.Optim;

namespace InceptionNeXt.Tests.Optim;

/// <summary>
/// AdamW, SGD and gradient clipping against torch.optim / torch.nn.utils (Debian's python3-torch) on the same small
/// MLP, weights, inputs and targets.
/// </summary>
[TestClass]
public sealed class OptimizerParityTests
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

    private const string ClipScript = """
import sys, torch
torch.set_num_threads(1)
weights, data, max_norm, out = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.GELU(), torch.nn.Linear(5, 3))
model.load_state_dict(torch.load(weights), strict=True)
d = torch.load(data)
loss = torch.nn.functional.cross_entropy(model(d["x"]), d["y"])
loss.backward()
total = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
result = {"total_norm": total.reshape(1)}
for n, p in model.named_parameters():
    result["grad." + n] = p.grad
torch.save(result, out)
""";

    private static Sequential CreateModel(long seed)
    {
        Torch.ManualSeed(seed);
        var model = new Sequential(new Linear(6, 5), new GELU(), new Linear(5, 3));
        // Non-zero biases, so that the no-decay group and bias updates are exercised from step one.
        foreach (var (name, p) in model.NamedParameters())
            if (name.EndsWith(".bias", StringComparison.Ordinal)) Init.Uniform(p, -0.5, 0.5);
        return model;
    }

    private static (Tensor X, Tensor Y) CreateData(TempDir dir, long seed)
    {
        Torch.ManualSeed(seed);
        var x = Torch.Randn([8, 6]);
        var y = Torch.RandInt(3, [8]);
        PthWriter.Save(dir.File("data.pth"), new Dictionary<string, object?>
        {
            ["x"] = x.ToTensorData(), ["y"] = y.ToTensorData(), ["steps"] = (long)Steps,
        });
        return (x, y);
    }

    [TestMethod]
    [DataRow("adamw", 1e-2)]
    [DataRow("sgd", 0.1)]
    [DataRow("sgd_nesterov", 0.1)]
    public void FiveStepsMatchTorchOptim(string kind, double learningRate)
    {
        PythonRunner.RequireTorch();
        using var dir = new TempDir();
        Torch.NumThreads = 1;
        using var model = CreateModel(21);
        Checkpoint.SaveStateDict(dir.File("weights.pth"), model.StateDict());
        var initial = model.StateDict();
        var (x, y) = CreateData(dir, 22);
        using var _x = x;
        using var _y = y;

        var groups = Optimizer.DecayGroups(model, WeightDecay);
        using Optimizer optimizer = kind switch
        {
            "adamw" => new AdamW(groups, learningRate),
            "sgd" => new Sgd(groups, learningRate, momentum: 0.9, nesterov: false),
            "sgd_nesterov" => new Sgd(groups, learningRate, momentum: 0.9, nesterov: true),
            _ => throw new ArgumentException(kind),
        };
        for (var step = 0; step < Steps; step++)
        {
            using var scope = Torch.NewDisposeScope();
            optimizer.ZeroGrad();
            var loss = Functional.CrossEntropy(model.Forward(x), y);
            loss.Backward();
            optimizer.Step();
        }
        Assert.AreEqual((long)Steps, optimizer.StepCount);

        PythonRunner.Run(TrainScript, dir.File("weights.pth"), dir.File("data.pth"), kind,
            learningRate.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            WeightDecay.ToString("R", System.Globalization.CultureInfo.InvariantCulture), dir.File("out.pth"));
        var expected = Checkpoint.LoadStateDict(dir.File("out.pth"));

        var actual = model.StateDict();
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
    [DataRow(0.05, true)]
    [DataRow(1000.0, false)]
    public void ClipGradNormMatchesTorch(double maxNorm, bool clips)
    {
        PythonRunner.RequireTorch();
        using var dir = new TempDir();
        Torch.NumThreads = 1;
        using var model = CreateModel(31);
        Checkpoint.SaveStateDict(dir.File("weights.pth"), model.StateDict());
        var (x, y) = CreateData(dir, 32);
        using var _x = x;
        using var _y = y;
        using var optimizer = new Sgd(Optimizer.DecayGroups(model, 0), 0.1);

        double total;
        using (var scope = Torch.NewDisposeScope())
        {
            Functional.CrossEntropy(model.Forward(x), y).Backward();
            total = optimizer.ClipGradNorm(maxNorm);
        }

        var text = maxNorm.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        PythonRunner.Run(ClipScript, dir.File("weights.pth"), dir.File("data.pth"), text, dir.File("out.pth"));
        var reference = (Dictionary<string, object?>)PthReader.Load(dir.File("out.pth"))!;
        var expectedTotal = ((TensorData)reference["total_norm"]!).ToFloat32()[0];
        Assert.AreEqual(expectedTotal, total, 1e-5 * Math.Max(1, expectedTotal), "total norm before clipping");
        Assert.AreEqual(clips, expectedTotal > maxNorm, "the test case clips (or not) as intended");

        var clippedNorm = 0.0;
        foreach (var (name, p) in model.NamedParameters())
        {
            using var grad = p.Grad ?? throw new AssertFailedException($"{name} has no gradient");
            var a = grad.ToFloatArray();
            var e = ((TensorData)reference["grad." + name]!).ToFloat32();
            var worst = e.Zip(a, (u, v) => Math.Abs(u - v)).Max();
            Assert.IsTrue(worst <= 1e-6, $"grad {name}: max abs diff {worst:E3}");
            clippedNorm += a.Sum(v => (double)v * v);
        }
        Assert.AreEqual(clips ? maxNorm : total, Math.Sqrt(clippedNorm), 1e-4 * Math.Max(maxNorm, 1e-3), "norm after clipping");
    }

    [TestMethod]
    public void DecayGroupsExemptBiasesOneDimensionalParametersAndLayerScale()
    {
        using var meta = Torch.UseDefaultDevice(Device.Meta);
        using var model = ModelRegistry.Create("inceptionnext_atto");
        var groups = Optimizer.DecayGroups(model, 0.05);
        var all = model.NamedParameters().ToList();
        Assert.HasCount(all.Count, groups, "every trainable parameter is in a group");
        CollectionAssert.AreEqual(all.Select(p => p.Name).ToList(), groups.Select(g => g.Name).ToList());

        var byName = groups.ToDictionary(g => g.Name, g => g.WeightDecay);
        Assert.AreEqual(0.05, byName["stem.0.weight"]);
        Assert.AreEqual(0.0, byName["stem.0.bias"]);
        Assert.AreEqual(0.0, byName["stem.1.weight"], "BatchNorm weight is 1-d");
        Assert.AreEqual(0.0, byName["stages.2.blocks.5.gamma"]);
        Assert.AreEqual(0.05, byName["stages.2.blocks.5.token_mixer.dwconv_w.weight"]);
        Assert.AreEqual(0.05, byName["stages.2.blocks.5.mlp.fc1.weight"]);
        Assert.AreEqual(0.0, byName["stages.2.blocks.5.mlp.fc1.bias"]);
        Assert.AreEqual(0.0, byName["head.norm.weight"], "LayerNorm weight is 1-d");
        Assert.AreEqual(0.05, byName["head.fc2.weight"]);

        foreach (var g in groups)
        {
            var exempt = g.Name.EndsWith(".bias", StringComparison.Ordinal) || g.Name.EndsWith(".gamma", StringComparison.Ordinal) ||
                         g.Parameter.Dim <= 1;
            Assert.AreEqual(exempt ? 0.0 : 0.05, g.WeightDecay, g.Name);
        }
        var gammas = groups.Count(g => g.Name.EndsWith(".gamma", StringComparison.Ordinal));
        Assert.AreEqual(12, gammas, "one layer scale per block (2+2+6+2)");
        // Every conv / linear weight decays: 1 stem + 3 downsample + 12 blocks x 5 + head fc1, fc2.
        Assert.AreEqual(1 + 3 + 12 * 5 + 2, groups.Count(g => g.WeightDecay > 0));

        // Extra names and frozen parameters.
        var extra = Optimizer.DecayGroups(model, 0.05, ["stem.0.weight"]);
        Assert.AreEqual(0.0, extra.Single(g => g.Name == "stem.0.weight").WeightDecay);
        foreach (var (name, p) in model.NamedParameters())
            if (name.StartsWith("stem.", StringComparison.Ordinal)) p.RequiresGrad = false;
        var unfrozen = Optimizer.DecayGroups(model, 0.05);
        Assert.AreEqual(all.Count - 4, unfrozen.Count, "stem conv weight/bias and BN weight/bias are frozen");
        Assert.IsFalse(unfrozen.Any(g => g.Name.StartsWith("stem.", StringComparison.Ordinal)));
    }
}
