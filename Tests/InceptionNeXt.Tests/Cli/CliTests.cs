using System.Globalization;
using InceptionNeXt.Tests.Infrastructure;

namespace InceptionNeXt.Tests.Cli;

/// <summary>The `inceptionnext` command line (its TorchSharp commands: models, benchmark, demo), run as a separate process like a user would.</summary>
[TestClass]
public sealed class CliTests
{
    private static (int ExitCode, string Stdout, string Stderr) RunCli(params string[] args) => ProcessRunner.RunCli(args);

    [TestMethod]
    public void ModelsListsEveryVariantWithExactCounts()
    {
        var (code, stdout, stderr) = RunCli("models");
        Assert.AreEqual(0, code, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual(InceptionNeXt.Training.Models.ModelRegistry.Names.Count + 1, lines.Length, stdout); // header + every variant
        StringAssert.Contains(lines.Single(l => l.StartsWith("inceptionnext_tiny ", StringComparison.Ordinal)), "28,055,680");
        StringAssert.Contains(lines.Single(l => l.StartsWith("convnext_base ", StringComparison.Ordinal)), "88,591,464");
        StringAssert.Contains(lines.Single(l => l.StartsWith("inceptionnext_atto ", StringComparison.Ordinal)), "0.50");
    }

    [TestMethod]
    public void BenchmarkEndsWithThroughputLine()
    {
        var (code, stdout, stderr) = RunCli("benchmark", "--model", "inceptionnext_atto", "--engine", "torch", "--batch-size", "2",
            "--image-size", "64", "--train", "--threads", "1", "--warmup", "1", "--iters", "2");
        Assert.AreEqual(0, code, stderr);
        var last = stdout.TrimEnd().Split('\n')[^1];
        StringAssert.StartsWith(last, "throughput: ");
        StringAssert.EndsWith(last, " img/s");
        var value = double.Parse(last["throughput: ".Length..^" img/s".Length], CultureInfo.InvariantCulture);
        Assert.IsTrue(value > 0, last);
    }

    [TestMethod]
    public void BadArgumentsGiveOneClearErrorAndExitCode1()
    {
        var (code, _, stderr) = RunCli("benchmark", "--model", "resnet50", "--iters", "1");
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, "Unknown model 'resnet50'");
        StringAssert.Contains(stderr, "inceptionnext_atto");
        Assert.IsFalse(stderr.Contains("(Parameter '", StringComparison.Ordinal), "no C# parameter names: " + stderr);

        (code, _, stderr) = RunCli("benchmark", "--model", "inceptionnext_atto", "--image-size", "16", "--iters", "1", "--warmup", "0");
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, "at least 32x32");

        // Sizes that would exhaust the machine are refused before anything is allocated (issue 14).
        (code, _, stderr) = RunCli("benchmark", "--model", "inceptionnext_atto", "--image-size", "10000", "--iters", "1");
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, "--image-size 10000 is out of range: use 16 to 2048");
        (code, _, stderr) = RunCli("benchmark", "--model", "inceptionnext_atto", "--image-size", "2048", "--batch-size", "1024", "--train", "--iters", "1");
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, "with a batch of 1024 needs about");
        (code, _, stderr) = RunCli("benchmark", "--model", "inceptionnext_atto", "--threads", "100000", "--iters", "1");
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, "--threads 100000 is out of range: use 1 to");
        // The old libtorch 1.13 binding is gone (issue 12): its engine name is an ordinary unknown engine.
        (code, _, stderr) = RunCli("benchmark", "--model", "inceptionnext_atto", "--engine", "binding", "--iters", "1");
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, "--engine binding is not available; supported engines: torch, onnx.");

        (code, _, stderr) = RunCli("benchmark", "--model", "inceptionnext_atto", "--device", "cuda", "--iters", "1");
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, "CUDA");
    }

    [TestMethod]
    public void DemoTrainsFromScratchToHighAccuracy()
    {
        var (code, stdout, stderr) = RunCli("demo", "--steps", "200", "--threads", "2");
        Assert.AreEqual(0, code, stderr);
        var line = stdout.Split('\n').Single(l => l.StartsWith("held-out accuracy: ", StringComparison.Ordinal));
        var accuracy = double.Parse(line["held-out accuracy: ".Length..line.IndexOf('%')], CultureInfo.InvariantCulture);
        Assert.IsTrue(accuracy >= 90, stdout);
    }
}
