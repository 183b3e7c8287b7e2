using InceptionNeXt.ML.Inference;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Tests.Fixtures;

namespace InceptionNeXt.Tests.Cli;

/// <summary>`inceptionnext image-classification` as a user runs it, and the console project it generates.</summary>
[TestClass]
public sealed class ImageClassificationCommandTests
{
    private static (int ExitCode, string Stdout, string Stderr) Run(string file, params string[] args) => ProcessRunner.Run(file, args);

    private static (int, string, string) Cli(params string[] args) => ProcessRunner.RunCli(args);

    [TestMethod]
    public void BuildsModelFilesAndAConsoleAppThatRuns()
    {
        using var dir = new TempDir();
        var (folder, _) = PipelineFixture.Create(dir, perClass: 10);
        File.WriteAllBytes(Path.Combine(folder, "green", "broken.png"), [0x89, 0x50, 0x4E, 0x47]);
        var output = Path.Combine(dir.Path, "out");
        var (code, stdout, stderr) = Cli("image-classification", "--dataset", folder, "--train-time", "30", "--output", output,
            "--name", "Colours", "--cache", Path.Combine(dir.Path, "cache"));
        Assert.AreEqual(0, code, stdout + stderr);
        StringAssert.Contains(stderr, "broken.png", "the unreadable file is listed");
        StringAssert.Contains(stdout, "accuracy: ");
        foreach (var f in new[] { "model.zip", "model.onnx", "report.html" }) Assert.IsTrue(File.Exists(Path.Combine(output, f)), f);
        var report = File.ReadAllText(Path.Combine(output, "report.html"));
        StringAssert.Contains(report, "<table");
        StringAssert.Contains(report, "broken.png");

        // model.onnx carries the labels and classifies on its own.
        using (var classifier = new OnnxImageClassifier(Path.Combine(output, "model.onnx")))
        {
            CollectionAssert.AreEqual(new[] { "blue", "green", "red" }, classifier.Labels.ToArray());
            var red = Directory.GetFiles(Path.Combine(folder, "red")).First(f => !f.EndsWith("broken.png", StringComparison.Ordinal));
            Assert.AreEqual(3, classifier.Classify(red, topK: 3).Predictions.Count);
        }

        // The generated console project builds against the InceptionNeXt.ML package (shipped with the command line, written
        // beside the project as a local feed) and runs against model.zip.
        var app = Path.Combine(output, "Colours.ConsoleApp");
        Assert.IsTrue(File.Exists(Path.Combine(app, "nuget.config")));
        Assert.IsTrue(File.Exists(Path.Combine(app, "packages", Path.GetFileName(LocalPackages.LibraryPackage))));
        var csproj = File.ReadAllText(Path.Combine(app, "Colours.ConsoleApp.csproj"));
        StringAssert.Contains(csproj, $"<PackageReference Include=\"InceptionNeXt.ML\" Version=\"[{LocalPackages.LibraryVersion}]\" />");
        Assert.IsFalse(csproj.Contains("HintPath", StringComparison.Ordinal), "no copied assemblies");
        LocalPackages.ForgetCachedCopy("InceptionNeXt.ML", LocalPackages.LibraryVersion);
        var build = Run("dotnet", "build", app, "-c", "Release", "-o", Path.Combine(dir.Path, "app"), "--nologo");
        Assert.AreEqual(0, build.Item1, build.Item2 + build.Item3);
        var image = Directory.GetFiles(Path.Combine(folder, "blue"))[0];
        var run = Run("dotnet", Path.Combine(dir.Path, "app", "Colours.ConsoleApp.dll"), image);
        Assert.AreEqual(0, run.Item1, run.Item2 + run.Item3);
        StringAssert.StartsWith(run.Item2, image + "\t");
        Assert.IsTrue(new[] { "blue", "green", "red" }.Any(l => run.Item2.Split('\t')[1] == l), run.Item2);
        StringAssert.Contains(report, "Confusion matrix");
        StringAssert.Contains(report, "misclassified validation images");

        // A missing or unreadable image: one clear line, no stack trace, exit code 1.
        var missing = Path.Combine(dir.Path, "nope.png");
        var broken = Path.Combine(folder, "green", "broken.png");
        run = Run("dotnet", Path.Combine(dir.Path, "app", "Colours.ConsoleApp.dll"), missing, broken, image);
        Assert.AreEqual(1, run.Item1, run.Item2 + run.Item3);
        StringAssert.Contains(run.Item3, $"error: {missing}: no such file");
        StringAssert.Contains(run.Item3, $"error: {broken}: ");
        Assert.IsFalse(run.Item3.Contains("   at ", StringComparison.Ordinal), run.Item3);
        StringAssert.StartsWith(run.Item2, image + "\t");

        // A damaged model.zip: one clear line, no stack trace, exit code 2.
        var zip = Path.Combine(dir.Path, "app", "model.zip");
        var bytes = File.ReadAllBytes(zip);
        File.WriteAllBytes(zip, bytes.AsSpan(0, bytes.Length / 2).ToArray());
        run = Run("dotnet", Path.Combine(dir.Path, "app", "Colours.ConsoleApp.dll"), image);
        Assert.AreEqual(2, run.Item1, run.Item2 + run.Item3);
        StringAssert.Contains(run.Item3, "error: cannot load Colours's model.zip: ");
        Assert.IsFalse(run.Item3.Contains("   at ", StringComparison.Ordinal), run.Item3);

        // A second run reuses the cached features: nothing goes through the backbone.
        (code, stdout, stderr) = Cli("image-classification", "--dataset", folder, "--train-time", "10", "--output", Path.Combine(dir.Path, "out2"),
            "--cache", Path.Combine(dir.Path, "cache"));
        Assert.AreEqual(0, code, stdout + stderr);
        StringAssert.Contains(stdout, " 0 through the backbone");
    }

    [TestMethod]
    public void AnUnwritableCacheFolderIsSkippedWhenDefaultAndRefusedWhenAskedFor()
    {
        using var dir = new TempDir();
        var (folder, _) = PipelineFixture.Create(dir, perClass: 6);
        var notAFolder = Path.Combine(dir.Path, "not-a-folder");
        File.WriteAllText(notAFolder, "x");

        // The default cache (under XDG_CACHE_HOME) was not asked for: without it the run goes on, and says so.
        var (code, stdout, stderr) = ProcessRunner.RunCli(new Dictionary<string, string?> { ["XDG_CACHE_HOME"] = notAFolder },
            "image-classification", "--dataset", folder, "--train-time", "5", "--output", Path.Combine(dir.Path, "out"));
        Assert.AreEqual(0, code, stdout + stderr);
        StringAssert.Contains(stdout, $"no feature cache: cannot create {Path.Combine(notAFolder, "inceptionnext", "features")}");
        StringAssert.Contains(stdout, "feature cache: none");
        Assert.IsTrue(File.Exists(Path.Combine(dir.Path, "out", "model.zip")));

        // A --cache that cannot be made is refused before any work, naming it.
        (code, stdout, stderr) = Cli("image-classification", "--dataset", folder, "--train-time", "5", "--output", Path.Combine(dir.Path, "out2"),
            "--cache", notAFolder);
        Assert.AreNotEqual(0, code, stdout + stderr);
        StringAssert.Contains(stderr, $"--cache {notAFolder}: cannot create the folder");
        Assert.IsFalse(stderr.Contains("   at ", StringComparison.Ordinal), stderr);
    }

    [TestMethod]
    public void FineTunesAPretrainedCheckpointWhenTimeAllows()
    {
        using var dir = new TempDir();
        var (folder, _) = PipelineFixture.Create(dir, perClass: 12);
        // A small "pretrained" checkpoint of our own (official ImageNet weights take the same path).
        var pretrain = Path.Combine(dir.Path, "pretrain");
        new InceptionNeXt.Training.TorchTraining.TorchTrainer(new InceptionNeXt.Training.Training.TrainOptions
        {
            Data = folder, Model = "inceptionnext_atto", Output = pretrain, Epochs = 1, BatchSize = 8, Workers = 1, Threads = 2, Seed = 1,
        }, _ => { }).Run();
        var output = Path.Combine(dir.Path, "out");
        var (code, stdout, stderr) = Cli("image-classification", "--dataset", folder, "--train-time", "75", "--output", output,
            "--model", "inceptionnext_atto", "--pretrained", Path.Combine(pretrain, "best.pth"), "--cache", Path.Combine(dir.Path, "cache"));
        Assert.AreEqual(0, code, stdout + stderr);
        StringAssert.Contains(stdout, "fine-tuned: validation accuracy", stdout);
        StringAssert.Contains(stdout, "best: ");
        // Whichever won, model.onnx and model.zip agree on the labels and both load.
        using var classifier = new OnnxImageClassifier(Path.Combine(output, "model.onnx"));
        CollectionAssert.AreEqual(new[] { "blue", "green", "red" }, classifier.Labels.ToArray());
        new Microsoft.ML.MLContext().Model.Load(Path.Combine(output, "model.zip"), out var schema);
        Assert.AreEqual("ImagePath", string.Join(",", schema.Select(c => c.Name)));
    }

    [TestMethod]
    public void BadFoldersGetClearMessages()
    {
        using var dir = new TempDir();
        var empty = Directory.CreateDirectory(Path.Combine(dir.Path, "empty")).FullName;
        var (code, _, stderr) = Cli("image-classification", "--dataset", empty, "--output", Path.Combine(dir.Path, "o1"));
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, "holds no images");

        var (folder, _) = PipelineFixture.Create(dir, perClass: 2);
        Directory.Delete(Path.Combine(folder, "red"), true);
        Directory.Delete(Path.Combine(folder, "green"), true);
        (code, _, stderr) = Cli("image-classification", "--dataset", folder, "--output", Path.Combine(dir.Path, "o2"));
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, "one label folder ('blue')");

        (code, _, stderr) = Cli("image-classification", "--dataset", Path.Combine(dir.Path, "missing"), "--output", Path.Combine(dir.Path, "o3"));
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, "missing");
    }
}
