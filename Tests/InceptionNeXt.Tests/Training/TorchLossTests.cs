using System.Text.Json;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.TorchModels;
using InceptionNeXt.Training.TorchTraining;
using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Tests.Training;

/// <summary>Label-smoothing and soft-target cross-entropy on TorchSharp against PyTorch / timm's definitions.</summary>
[TestClass]
public sealed class TorchLossTests
{
    // timm.loss.SoftTargetCrossEntropy: torch.sum(-target * F.log_softmax(x, dim=-1), dim=-1).mean()
    private const string Script = """
import sys, json, torch
import torch.nn.functional as F
d = torch.load(sys.argv[1])
x, y, soft = d["logits"].double(), d["labels"], d["soft"].double()
ce = F.cross_entropy(x, y).item()
ls = F.cross_entropy(x, y, label_smoothing=0.1).item()
st = torch.sum(-soft * F.log_softmax(x, dim=-1), dim=-1).mean().item()
xg = x.clone().requires_grad_(True)
F.cross_entropy(xg, y, label_smoothing=0.1).backward()
print(json.dumps({"ce": ce, "ls": ls, "soft": st, "grad": xg.grad.flatten().tolist()}))
""";

    [TestMethod]
    public void MatchPyTorchAndTimm()
    {
        PythonRunner.RequireTorch();
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        manual_seed(7);
        var logits = randn(6, 5) * 3.0;
        var labels = tensor(new long[] { 0, 4, 2, 2, 1, 3 });
        var soft = TorchMixup.MixupTarget(labels, 5, 0.7, 0.1);
        PthWriter.Save(dir.File("in.pth"), new Dictionary<string, object?>
        {
            ["logits"] = logits.ToTensorData(), ["labels"] = labels.ToTensorData(), ["soft"] = soft.ToTensorData(),
        });
        using var doc = JsonDocument.Parse(PythonRunner.Run(Script, dir.File("in.pth")));
        var root = doc.RootElement;

        Assert.AreEqual(root.GetProperty("ce").GetDouble(), TorchLosses.CrossEntropy(logits, labels).item<float>(), 1e-5);
        Assert.AreEqual(root.GetProperty("ls").GetDouble(), TorchLosses.CrossEntropy(logits, labels, 0.1).item<float>(), 1e-5);
        Assert.AreEqual(root.GetProperty("soft").GetDouble(), TorchLosses.SoftTargetCrossEntropy(logits, soft).item<float>(), 1e-5);

        // Label smoothing 0.1 equals the soft-target loss on smoothed one-hot targets (lambda 1, as timm's mixup_target).
        var smoothed = TorchMixup.MixupTarget(labels, 5, 1.0, 0.1);
        Assert.AreEqual(TorchLosses.CrossEntropy(logits, labels, 0.1).item<float>(), TorchLosses.SoftTargetCrossEntropy(logits, smoothed).item<float>(), 1e-5);

        var leaf = logits.detach().requires_grad_(true);
        TorchLosses.CrossEntropy(leaf, labels, 0.1).backward();
        var grad = leaf.grad!.data<float>().ToArray();
        var expected = root.GetProperty("grad").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.AreEqual(expected.Length, grad.Length);
        for (var i = 0; i < grad.Length; i++) Assert.AreEqual(expected[i], grad[i], 1e-6, $"grad[{i}]");
    }
}
