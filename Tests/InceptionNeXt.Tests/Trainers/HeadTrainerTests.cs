using System.Text.Json;
using InceptionNeXt.ML.Trainers;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;

namespace InceptionNeXt.Tests.Trainers;

/// <summary>
/// The head trainers on generated Gaussian blobs: accuracy, the L-BFGS optimum (own gradient and torch's L-BFGS),
/// AdamW steps against torch, early stopping, callbacks, determinism, cancellation, input checks and the head's
/// binary format.
/// </summary>
[TestClass]
public sealed class HeadTrainerTests
{
    // Torch's L-BFGS on the objective the trainer documents, in float64 and the head's standardised space.
    private const string LbfgsScript = """
import sys, json, torch
import torch.nn.functional as F
torch.set_num_threads(1)
d = json.load(open(sys.argv[1]))
x = (torch.tensor(d["x"], dtype=torch.float64) - torch.tensor(d["mean"], dtype=torch.float64)) * torch.tensor(d["scale"], dtype=torch.float64)
y = torch.tensor(d["y"])
k, l2 = d["k"], d["l2"]
w = torch.zeros(k, x.shape[1], dtype=torch.float64, requires_grad=True)
b = torch.zeros(k, dtype=torch.float64, requires_grad=True)
opt = torch.optim.LBFGS([w, b], lr=1, max_iter=2000, tolerance_grad=1e-12, tolerance_change=1e-16, history_size=20, line_search_fn="strong_wolfe")
def closure():
    opt.zero_grad()
    loss = F.cross_entropy(x @ w.T + b, y) + 0.5 * l2 * (w ** 2).sum()
    loss.backward()
    return loss
opt.step(closure)
print(json.dumps(torch.softmax(x @ w.T + b, 1).tolist()))
""";

    // torch.optim.AdamW full-batch steps from the head's initial weights, with label smoothing.
    private const string AdamScript = """
import sys, json, torch
import torch.nn.functional as F
torch.set_num_threads(1)
d = json.load(open(sys.argv[1]))
x = (torch.tensor(d["x"], dtype=torch.float64) - torch.tensor(d["mean"], dtype=torch.float64)) * torch.tensor(d["scale"], dtype=torch.float64)
y = torch.tensor(d["y"])
p = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (d["w1"], d["b1"], d["w2"], d["b2"])]
w1, b1, w2, b2 = p
opt = torch.optim.AdamW([{"params": [w1, w2], "weight_decay": d["wd"]}, {"params": [b1, b2], "weight_decay": 0.0}], lr=d["lr"], betas=(0.9, 0.999), eps=1e-8)
losses = []
for _ in range(d["steps"]):
    opt.zero_grad()
    loss = F.cross_entropy(torch.relu(x @ w1.T + b1) @ w2.T + b2, y, label_smoothing=d["ls"])
    losses.append(loss.item())
    loss.backward()
    opt.step()
print(json.dumps({"losses": losses, "params": [t.detach().flatten().tolist() for t in p]}))
""";

    public static IEnumerable<object[]> Trainers => [["lbfgs"], ["mlp"]];

    [TestMethod]
    [DynamicData(nameof(Trainers))]
    public void SeparatesGaussianBlobs(string kind)
    {
        var random = new Random(11);
        var centres = Centres(5, 32, 1.0, random);
        var train = Sample(centres, 100, 1.2, 0, random);
        var test = Sample(centres, 100, 1.2, 0, random);
        var head = Create(kind, null).Train(train);
        Assert.AreEqual(32, head.FeatureSize);
        Assert.AreEqual(5, head.NumClasses);
        var accuracy = Accuracy(head, test);
        Assert.IsTrue(accuracy >= 0.95, $"{kind}: held-out accuracy {accuracy:P1}");
    }

    [TestMethod]
    [DataRow(1e-3)]
    [DataRow(0.05)]
    public void LbfgsReachesTheOptimumOfTheRegularisedObjective(double l2)
    {
        var random = new Random(5);
        var train = Sample(Centres(3, 6, 1.0, random), 100, 1.5, 0.1, random);
        var head = new LbfgsLogisticRegression { L2Regularization = l2 }.Train(train);

        // Standardisation comes from the training set (population std).
        for (var j = 0; j < train.FeatureSize; j++)
        {
            var column = Enumerable.Range(0, train.Count).Select(i => (double)train.GetFeatures(i)[j]).ToArray();
            var mean = column.Average();
            var std = Math.Sqrt(column.Select(v => (v - mean) * (v - mean)).Average());
            Assert.AreEqual(mean, head.FeatureMean[j], 1e-4 * Math.Max(1, Math.Abs(mean)), $"mean {j}");
            Assert.AreEqual(1 / std, head.FeatureScale[j], 1e-4 / std, $"scale {j}");
        }

        var norm = RegularisedGradientNorm(head, train, l2);
        Assert.IsTrue(norm < 1e-3, $"gradient norm {norm:E2} at the returned solution");
        // The check can fail: slightly off the optimum the gradient is far from zero.
        var layer = head.Layers[0];
        var shrunk = new ClassifierHead(head.FeatureMean, head.FeatureScale,
            [new DenseLayer(layer.InputSize, layer.OutputSize, layer.Weights.Select(w => w * 0.9f).ToArray(), layer.Bias)]);
        Assert.IsTrue(RegularisedGradientNorm(shrunk, train, l2) > 1e-2);
    }

    [TestMethod]
    public void LbfgsMatchesTorchLbfgs()
    {
        PythonRunner.RequireTorch();
        const double l2 = 1e-2;
        var random = new Random(8);
        var train = Sample(Centres(4, 8, 1.0, random), 60, 1.5, 0.1, random);
        var head = new LbfgsLogisticRegression { L2Regularization = l2 }.Train(train);
        using var dir = new TempDir();
        var rows = Enumerable.Range(0, train.Count).ToArray();
        File.WriteAllText(dir.File("data.json"), JsonSerializer.Serialize(new
        {
            x = rows.Select(i => train.GetFeatures(i).ToArray()), y = rows.Select(train.GetLabel), k = train.NumClasses, l2,
            mean = head.FeatureMean, scale = head.FeatureScale,
        }));
        var expected = JsonSerializer.Deserialize<double[][]>(PythonRunner.Run(LbfgsScript, dir.File("data.json")))!;
        var worst = 0.0;
        foreach (var i in rows)
        {
            var p = head.Probabilities(train.GetFeatures(i));
            for (var k = 0; k < p.Length; k++) worst = Math.Max(worst, Math.Abs(p[k] - expected[i][k]));
        }
        Assert.IsTrue(worst < 1e-4, $"largest probability difference from torch: {worst:E2}");
    }

    [TestMethod]
    public void MlpAdamWStepsMatchTorch()
    {
        PythonRunner.RequireTorch();
        var random = new Random(4);
        var train = Sample(Centres(3, 6, 1.0, random), 14, 1.0, 0.2, random);
        const int steps = 4;
        var epochs = new List<HeadTrainingEpoch>();
        var options = new MlpHeadTrainer
        {
            HiddenSize = 8, LearningRate = 0.02, WeightDecay = 0.05, LabelSmoothing = 0.1, BatchSize = 100, Epochs = steps,
            ValidationFraction = 0, Seed = 9, OnEpoch = epochs.Add,
        };
        // A cancelled run returns the initial weights; a full-batch epoch is one AdamW step.
        var initial = options.Train(train, cancellationToken: new CancellationToken(true));
        Assert.AreEqual(0, epochs.Count);
        var trained = options.Train(train);

        using var dir = new TempDir();
        var rows = Enumerable.Range(0, train.Count).ToArray();
        File.WriteAllText(dir.File("data.json"), JsonSerializer.Serialize(new
        {
            x = rows.Select(i => train.GetFeatures(i).ToArray()), y = rows.Select(train.GetLabel),
            mean = initial.FeatureMean, scale = initial.FeatureScale,
            w1 = Matrix(initial.Layers[0]), b1 = initial.Layers[0].Bias, w2 = Matrix(initial.Layers[1]), b2 = initial.Layers[1].Bias,
            lr = options.LearningRate, wd = options.WeightDecay, ls = options.LabelSmoothing, steps,
        }));
        using var doc = JsonDocument.Parse(PythonRunner.Run(AdamScript, dir.File("data.json")));
        var losses = doc.RootElement.GetProperty("losses").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.AreEqual(steps, epochs.Count);
        for (var s = 0; s < steps; s++) Assert.AreEqual(losses[s], epochs[s].Loss, 1e-5, $"loss before step {s + 1}");
        float[][] actual = [trained.Layers[0].Weights, trained.Layers[0].Bias, trained.Layers[1].Weights, trained.Layers[1].Bias];
        var expected = doc.RootElement.GetProperty("params").EnumerateArray().ToArray();
        for (var t = 0; t < actual.Length; t++)
        {
            var values = expected[t].EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.AreEqual(values.Length, actual[t].Length);
            for (var i = 0; i < values.Length; i++) Assert.AreEqual(values[i], actual[t][i], 1e-5, $"parameter {t}[{i}]");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Trainers))]
    public void StopsEarlyOnNoisyLabelsAndReturnsTheBestValidationWeights(string kind)
    {
        var random = new Random(21);
        var centres = Centres(4, 48, 0.5, random);
        var train = Sample(centres, 25, 1.0, 0.4, random);
        var validation = Sample(centres, 50, 1.0, 0.4, random);
        const int patience = 5;
        var epochs = new List<HeadTrainingEpoch>();
        IHeadTrainer trainer = kind == "mlp"
            ? new MlpHeadTrainer { LearningRate = 3e-3, Epochs = 300, EarlyStoppingPatience = patience, OnEpoch = epochs.Add }
            : new LbfgsLogisticRegression { L2Regularization = 1e-6, MaxIterations = 300, Tolerance = 0, EarlyStoppingPatience = patience, OnEpoch = epochs.Add };
        var head = trainer.Train(train, validation);

        Assert.IsTrue(epochs.Count < 300, $"{kind} ran all {epochs.Count} epochs");
        var best = epochs.MinBy(e => e.ValidationLoss!.Value)!;
        Assert.AreEqual(best.Epoch + patience, epochs.Count, "stops exactly patience epochs after the best one");
        Assert.IsTrue(epochs[^1].Loss < best.Loss, "training loss kept falling while validation loss rose");
        Assert.AreEqual(best.ValidationLoss!.Value, MeanCrossEntropy(head, validation), 1e-5, "returned weights are the best epoch's");
        Assert.AreEqual(best.ValidationAccuracy!.Value, Accuracy(head, validation), 1e-9);
    }

    [TestMethod]
    [DynamicData(nameof(Trainers))]
    public void CallbackReceivesEpochsInOrderWithFiniteMetrics(string kind)
    {
        var random = new Random(2);
        var centres = Centres(3, 10, 1.0, random);
        var train = Sample(centres, 40, 1.5, 0.1, random);
        var validation = Sample(centres, 20, 1.5, 0.1, random);
        var epochs = new List<HeadTrainingEpoch>();
        Create(kind, epochs.Add).Train(train, validation);
        Assert.IsTrue(epochs.Count > 1);
        for (var i = 0; i < epochs.Count; i++)
        {
            var e = epochs[i];
            Assert.AreEqual(i + 1, e.Epoch);
            Assert.IsTrue(double.IsFinite(e.Loss) && e.Loss >= 0, $"loss {e.Loss}");
            Assert.IsTrue(e.Accuracy is >= 0 and <= 1);
            Assert.IsTrue(e.LearningRate > 0 && double.IsFinite(e.LearningRate));
            Assert.IsTrue(e.ValidationLoss is { } v && double.IsFinite(v) && v >= 0);
            Assert.IsTrue(e.ValidationAccuracy is >= 0 and <= 1);
        }
        // Training makes progress: the last loss is below the first.
        Assert.IsTrue(epochs[^1].Loss < epochs[0].Loss);

        // No validation set (and none split off): all epochs run, without validation metrics.
        epochs.Clear();
        new MlpHeadTrainer { Epochs = 4, ValidationFraction = 0, OnEpoch = epochs.Add }.Train(train);
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4 }, epochs.Select(e => e.Epoch).ToArray());
        Assert.IsTrue(epochs.All(e => e.ValidationLoss is null && e.ValidationAccuracy is null && e.LearningRate == 1e-3));
    }

    [TestMethod]
    public void SameSeedGivesIdenticalWeights()
    {
        var random = new Random(3);
        var train = Sample(Centres(4, 12, 1.0, random), 60, 1.5, 0.1, random);
        var mlp = new MlpHeadTrainer { Epochs = 5, Seed = 7 };
        var a = mlp.Train(train);
        var b = mlp.Train(train);
        var c = new MlpHeadTrainer { Epochs = 5, Seed = 8 }.Train(train);
        AssertSameWeights(a, b);
        Assert.IsFalse(a.Layers[0].Weights.SequenceEqual(c.Layers[0].Weights), "another seed gives other weights");

        var lbfgs = new LbfgsLogisticRegression();
        AssertSameWeights(lbfgs.Train(train), lbfgs.Train(train));
    }

    [TestMethod]
    [DynamicData(nameof(Trainers))]
    public void CancellationStopsAndReturnsAHead(string kind)
    {
        var random = new Random(6);
        var train = Sample(Centres(3, 8, 1.0, random), 40, 1.5, 0.1, random);
        using var cancel = new CancellationTokenSource();
        var epochs = new List<HeadTrainingEpoch>();
        var trainer = Create(kind, e =>
        {
            epochs.Add(e);
            if (e.Epoch == 3) cancel.Cancel();
        });
        var head = trainer.Train(train, null, cancel.Token);
        Assert.AreEqual(3, epochs.Count);
        Assert.AreEqual(3, head.NumClasses);
        Assert.IsTrue(head.Logits(train.GetFeatures(0)).All(float.IsFinite));
    }

    [TestMethod]
    public void BadInputThrowsArgumentExceptionNamingTheProblem()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new HeadTrainingSet([], [], 3)).Message, "empty");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new HeadTrainingSet([[1f, 2f], [3f, 4f]], [0], 3)).Message, "2 feature vectors but 1 labels");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new HeadTrainingSet([[1f, 2f], [3f, 4f]], [0, 3], 3)).Message, "Label 3 of sample 1 is outside [0, 3)");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new HeadTrainingSet([[1f, 2f], [3f, 4f]], [-1, 0], 3)).Message, "Label -1 of sample 0");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new HeadTrainingSet([[1f, 2f], [3f, float.NaN]], [0, 1], 3)).Message, "Feature vector 1 has a non-finite value (NaN) at index 1");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new HeadTrainingSet([[1f, float.PositiveInfinity]], [0], 3)).Message, "non-finite");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new HeadTrainingSet([[1f, 2f], [3f]], [0, 1], 3)).Message, "Feature vector 1 has 1 values but vector 0 has 2");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new HeadTrainingSet([[1f]], [0], 1));

        var train = new HeadTrainingSet([[1f, 2f], [3f, 4f]], [0, 1], 2);
        var wider = new HeadTrainingSet([[1f, 2f, 3f]], [0], 2);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new LbfgsLogisticRegression().Train(train, wider)).Message, "Validation features have 3 values");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new MlpHeadTrainer().Train(train, new HeadTrainingSet([[1f, 2f]], [0], 3))).Message, "3 classes");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new MlpHeadTrainer { LabelSmoothing = 1 }.Train(train));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new LbfgsLogisticRegression { L2Regularization = -1 }.Train(train));
    }

    [TestMethod]
    public void SplitIsStratifiedSeededAndKeepsEveryClassInTraining()
    {
        var labels = Enumerable.Repeat(0, 10).Concat(Enumerable.Repeat(1, 20)).Append(2).ToArray();
        var set = new HeadTrainingSet(labels.Select((_, i) => new[] { (float)i }).ToArray(), labels, 3);
        var (train, validation) = set.Split(0.3, seed: 1);
        Assert.AreEqual(9, validation.Count); // round(3) + round(6) + none of the single sample
        Assert.AreEqual(22, train.Count);
        int[] Count(HeadTrainingSet s, int c) => Enumerable.Range(0, s.Count).Where(i => s.GetLabel(i) == c).ToArray();
        Assert.AreEqual(7, Count(train, 0).Length);
        Assert.AreEqual(14, Count(train, 1).Length);
        Assert.AreEqual(1, Count(train, 2).Length);
        // Each sample lands in exactly one part, with its label, in the original order.
        var ids = new List<int>();
        foreach (var part in new[] { train, validation })
        {
            var partIds = Enumerable.Range(0, part.Count).Select(i => (int)part.GetFeatures(i)[0]).ToArray();
            CollectionAssert.AreEqual(partIds.Order().ToArray(), partIds);
            for (var i = 0; i < part.Count; i++) Assert.AreEqual(labels[partIds[i]], part.GetLabel(i));
            ids.AddRange(partIds);
        }
        CollectionAssert.AreEquivalent(Enumerable.Range(0, labels.Length).ToArray(), ids);

        int[] ValidationIds(int seed)
        {
            var v = set.Split(0.3, seed).Validation;
            return Enumerable.Range(0, v.Count).Select(i => (int)v.GetFeatures(i)[0]).ToArray();
        }
        CollectionAssert.AreEqual(ValidationIds(1), ValidationIds(1));
        CollectionAssert.AreNotEqual(ValidationIds(1), ValidationIds(2));

        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => set.Split(0, 1));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => set.Split(1, 1));
        var tiny = new HeadTrainingSet([[1f], [2f]], [0, 1], 2);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => tiny.Split(0.5, 1)).Message, "too few");
    }

    [TestMethod]
    public void HeadRoundTripsThroughWriteAndRead()
    {
        var random = new Random(9);
        var train = Sample(Centres(3, 5, 1.0, random), 20, 1.0, 0, random);
        var head = new MlpHeadTrainer { HiddenSize = 7, Epochs = 3 }.Train(train);
        var bytes = Serialize(head);
        var read = ClassifierHead.Read(new BinaryReader(new MemoryStream(bytes)));
        Assert.AreEqual(head.Activation, read.Activation);
        Assert.AreEqual(2, read.Layers.Count);
        for (var i = 0; i < train.Count; i++)
            CollectionAssert.AreEqual(head.Logits(train.GetFeatures(i)), read.Logits(train.GetFeatures(i)));
        CollectionAssert.AreEqual(bytes, Serialize(read));
    }

    [TestMethod]
    public void DamagedHeadStreamThrowsInvalidDataException()
    {
        var head = new ClassifierHead([0f, 1f], [1f, 2f], [new DenseLayer(2, 3, [1, 2, 3, 4, 5, 6], [0.5f, -0.5f, 0])]);
        var bytes = Serialize(head);
        ClassifierHead Read(byte[] data) => ClassifierHead.Read(new BinaryReader(new MemoryStream(data)));
        Assert.AreEqual(3, Read(bytes).NumClasses);
        // Every truncation.
        for (var length = 0; length < bytes.Length; length++)
        {
            var cut = bytes[..length];
            Assert.ThrowsExactly<InvalidDataException>(() => Read(cut), $"truncated to {length} bytes");
        }
        byte[] Patched(int offset, int value)
        {
            var copy = (byte[])bytes.Clone();
            BitConverter.TryWriteBytes(copy.AsSpan(offset), value);
            return copy;
        }
        var header = 1 + "inceptionnext-head".Length;
        var magic = (byte[])bytes.Clone();
        magic[3] ^= 0x20;
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => Read(magic)).Message, "Not a classifier head");
        Assert.ThrowsExactly<InvalidDataException>(() => Read(Patched(header, 2)));      // version
        Assert.ThrowsExactly<InvalidDataException>(() => Read(Patched(header + 4, 9)));  // activation
        Assert.ThrowsExactly<InvalidDataException>(() => Read(Patched(header + 8, -5))); // mean length
        Assert.ThrowsExactly<InvalidDataException>(() => Read(Patched(header + 8, 3)));  // mean length disagrees with the layer
    }

    private static IHeadTrainer Create(string kind, Action<HeadTrainingEpoch>? onEpoch) => kind switch
    {
        "lbfgs" => new LbfgsLogisticRegression { OnEpoch = onEpoch },
        "mlp" => new MlpHeadTrainer { OnEpoch = onEpoch },
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static float[][] Centres(int classes, int dims, double spread, Random random) =>
        Enumerable.Range(0, classes).Select(_ => Enumerable.Range(0, dims).Select(_ => (float)(spread * Gaussian(random))).ToArray()).ToArray();

    // Blob samples, classes interleaved, each feature stretched and shifted so that standardisation matters; with
    // probability labelNoise a sample gets a random label.
    private static HeadTrainingSet Sample(float[][] centres, int perClass, double noise, double labelNoise, Random random)
    {
        var features = new List<float[]>();
        var labels = new List<int>();
        for (var i = 0; i < perClass * centres.Length; i++)
        {
            var c = i % centres.Length;
            features.Add(centres[c].Select((m, j) => (float)((m + noise * Gaussian(random)) * (1 + j % 7) + 5 * (j % 3) - 2)).ToArray());
            labels.Add(random.NextDouble() < labelNoise ? random.Next(centres.Length) : c);
        }
        return new HeadTrainingSet(features, labels, centres.Length);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static double Accuracy(ClassifierHead head, HeadTrainingSet set) =>
        (double)Enumerable.Range(0, set.Count).Count(i => ArgMax(head.Logits(set.GetFeatures(i))) == set.GetLabel(i)) / set.Count;

    private static int ArgMax(float[] values) => Array.IndexOf(values, values.Max());

    private static double MeanCrossEntropy(ClassifierHead head, HeadTrainingSet set) =>
        Enumerable.Range(0, set.Count).Average(i => -Math.Log(head.Probabilities(set.GetFeatures(i))[set.GetLabel(i)]));

    // Norm of the gradient of mean cross-entropy + 0.5 * l2 * ||W||^2 (biases unpenalised) in the head's
    // standardised space, in double with plain loops.
    private static double RegularisedGradientNorm(ClassifierHead head, HeadTrainingSet set, double l2)
    {
        var layer = head.Layers.Single();
        int d = layer.InputSize, k = layer.OutputSize, n = set.Count;
        var gw = new double[k * d];
        var gb = new double[k];
        var x = new double[d];
        var z = new double[k];
        for (var i = 0; i < n; i++)
        {
            var f = set.GetFeatures(i);
            for (var j = 0; j < d; j++) x[j] = ((double)f[j] - head.FeatureMean[j]) * head.FeatureScale[j];
            for (var c = 0; c < k; c++)
            {
                z[c] = layer.Bias[c];
                for (var j = 0; j < d; j++) z[c] += layer.Weights[c * d + j] * x[j];
            }
            var max = z.Max();
            var sum = z.Sum(v => Math.Exp(v - max));
            for (var c = 0; c < k; c++)
            {
                var r = Math.Exp(z[c] - max) / sum - (c == set.GetLabel(i) ? 1 : 0);
                gb[c] += r;
                for (var j = 0; j < d; j++) gw[c * d + j] += r * x[j];
            }
        }
        double squared = 0;
        for (var i = 0; i < gw.Length; i++) squared += Math.Pow(gw[i] / n + l2 * layer.Weights[i], 2);
        for (var c = 0; c < k; c++) squared += Math.Pow(gb[c] / n, 2);
        return Math.Sqrt(squared);
    }

    private static float[][] Matrix(DenseLayer layer) =>
        Enumerable.Range(0, layer.OutputSize).Select(o => layer.Weights.AsSpan(o * layer.InputSize, layer.InputSize).ToArray()).ToArray();

    private static void AssertSameWeights(ClassifierHead a, ClassifierHead b)
    {
        CollectionAssert.AreEqual(a.FeatureMean, b.FeatureMean);
        CollectionAssert.AreEqual(a.FeatureScale, b.FeatureScale);
        Assert.AreEqual(a.Layers.Count, b.Layers.Count);
        for (var i = 0; i < a.Layers.Count; i++)
        {
            CollectionAssert.AreEqual(a.Layers[i].Weights, b.Layers[i].Weights, $"layer {i} weights");
            CollectionAssert.AreEqual(a.Layers[i].Bias, b.Layers[i].Bias, $"layer {i} bias");
        }
    }

    private static byte[] Serialize(ClassifierHead head)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) head.Write(writer);
        return stream.ToArray();
    }
}
