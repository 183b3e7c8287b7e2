using InceptionNeXt.ML.Imaging;
using InceptionNeXt.ML.Inference;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.TorchModels;
using TorchSharp;

namespace InceptionNeXt.Tests.Inference;

/// <summary>The ONNX Runtime classifier and featurizer end to end: files in, labels and features out, checked against libtorch.</summary>
[TestClass]
public sealed class InferenceApiTests
{
    private static TempDir dir = null!;
    private static string[] images = [];
    private static readonly string[] Labels = ["cat", "dog", "bird"];

    [ClassInitialize]
    public static void CreateImages(TestContext _)
    {
        dir = new TempDir();
        PythonRunner.RequirePython();
        PythonRunner.Run("""
            import sys, numpy as np
            from PIL import Image
            rng = np.random.default_rng(1)
            for i, (w, h) in enumerate([(120, 90), (64, 64), (90, 130), (300, 200), (77, 51)]):
                a = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
                Image.fromarray(a).save(f"{sys.argv[1]}/img{i}.{'png' if i % 2 else 'jpg'}")
            open(f"{sys.argv[1]}/empty.jpg", "wb").close()
            open(f"{sys.argv[1]}/notes.png", "w").write("not an image")
            """, dir.Path);
        images = Enumerable.Range(0, 5).Select(i => dir.File($"img{i}.{(i % 2 == 1 ? "png" : "jpg")}")).ToArray();
    }

    [ClassCleanup]
    public static void Cleanup() => dir.Dispose();

    private static (ImageClassifier Model, string Path) Export(bool embed, int classes = 3, string name = "model")
    {
        torch.manual_seed(9);
        var model = TorchModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = classes });
        using (torch.no_grad())
            foreach (var (n, t) in model.state_dict())
                if (n.EndsWith(".gamma", StringComparison.Ordinal)) t.normal_(0, 0.5);
        model.eval();
        var path = dir.File($"{name}-{embed}-{classes}.onnx");
        TorchOnnxExporter.Export(model, path, new OnnxExportOptions
        {
            ImageSize = 64, EmbedPreprocessing = embed, Labels = classes > 0 ? Labels[..classes] : null,
            Preprocessing = model.Config.Preprocessing with { InputSize = 64 },
        });
        return (model, path);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void ClassifierMatchesTorchSharpOnTheSamePreprocessedImage(bool embedPreprocessing)
    {
        var (model, path) = Export(embedPreprocessing);
        using (model)
        using (var classifier = new OnnxImageClassifier(path, new InferenceOptions { BatchSize = 2 }))
        {
            CollectionAssert.AreEqual(Labels, classifier.Labels.ToArray());
            Assert.AreEqual(embedPreprocessing, !classifier.Preprocessor.Options.Normalize);
            var results = classifier.ClassifyMany(images.Select(ImageInput.FromFile), topK: 3).ToList();
            CollectionAssert.AreEqual(images, results.Select(r => r.Source).ToArray(), "results keep input order");
            var reference = new ImagePreprocessor(new PreprocessOptions { InputSize = 64 });
            using var noGrad = torch.no_grad();
            // One libtorch thread: on a 2-core AVX-512 AMD EPYC, libtorch 2.10 at 2 threads gave probabilities 3e-4 away
            // from both ONNX Runtime and its own 1-thread answer on this deliberately sensitive model (layer scales 0.5).
            var threads = torch.get_num_threads();
            torch.set_num_threads(1);
            using var restoreThreads = new Disposer(() => torch.set_num_threads(threads));
            for (var i = 0; i < images.Length; i++)
            {
                using var x = torch.tensor(reference.Preprocess(images[i]), [1, 3, 64, 64]);
                using var logits = model.forward(x);
                using var probs = torch.nn.functional.softmax(logits, 1);
                var expected = probs.data<float>().ToArray();
                Assert.AreEqual(3, results[i].Predictions.Count);
                foreach (var p in results[i].Predictions)
                {
                    Assert.AreEqual(Labels[p.Index], p.Label);
                    Assert.AreEqual(expected[p.Index], p.Probability, 1e-4, $"{images[i]} class {p.Label}");
                }
                Assert.IsTrue(results[i].Predictions[0].Probability >= results[i].Predictions[1].Probability);
            }
        }
    }

    [TestMethod]
    public void FeaturizerMatchesTorchSharpPooledFeatures()
    {
        var (model, path) = Export(embed: false);
        using (model)
        using (var featurizer = new OnnxImageFeaturizer(path))
        {
            Assert.AreEqual(320, featurizer.FeatureSize);
            var reference = new ImagePreprocessor(new PreprocessOptions { InputSize = 64 });
            using var noGrad = torch.no_grad();
            using var x = torch.tensor(reference.Preprocess(images[3]), [1, 3, 64, 64]);
            using var expected = model.forward_pooled_features(x);
            var actual = featurizer.Featurize(images[3]);
            var e = expected.data<float>().ToArray();
            Assert.AreEqual(e.Length, actual.Length);
            for (var i = 0; i < e.Length; i++) Assert.AreEqual(e[i], actual[i], 1e-4);
            var bytes = File.ReadAllBytes(images[3]);
            CollectionAssert.AreEqual(actual, featurizer.Featurize(ImageInput.FromBytes(bytes, "memory")), "bytes and files agree");
            using var stream = new MemoryStream(bytes);
            CollectionAssert.AreEqual(actual, featurizer.Featurize(ImageInput.FromStream(stream)), "streams and files agree");
        }
    }

    [TestMethod]
    public void UnreadableImagesAreReportedAndTheOthersStillClassified()
    {
        var (model, path) = Export(embed: true);
        model.Dispose();
        using var classifier = new OnnxImageClassifier(path, new InferenceOptions { BatchSize = 3 });
        var inputs = new[] { images[0], dir.File("empty.jpg"), images[1], dir.File("notes.png"), dir.File("missing.jpg"), images[2] };
        var results = classifier.ClassifyMany(inputs.Select(ImageInput.FromFile), 1).ToList();
        CollectionAssert.AreEqual(inputs, results.Select(r => r.Source).ToArray());
        CollectionAssert.AreEqual(new[] { true, false, true, false, false, true }, results.Select(r => r.Succeeded).ToArray());
        StringAssert.Contains(results[1].Error!.Message, "empty.jpg");
        StringAssert.Contains(results[3].Error!.Message, "notes.png");
        Assert.IsInstanceOfType<InvalidImageException>(results[1].Error);
        Assert.ThrowsExactly<InvalidImageException>(() => classifier.Classify(dir.File("empty.jpg")));
        Assert.AreEqual(classifier.Classify(images[0]).Top, results[0].Top, "a batch and a single call agree");
    }

    [TestMethod]
    public void SixteenThreadsGetTheSameAnswersAsOne()
    {
        var (model, path) = Export(embed: false);
        model.Dispose();
        using var classifier = new OnnxImageClassifier(path, new InferenceOptions { BatchSize = 4 });
        var expected = images.Select(i => classifier.Classify(i, 3)).ToArray();
        var failures = 0;
        Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 16 }, t =>
        {
            for (var round = 0; round < 3; round++)
            {
                var got = classifier.ClassifyMany(images.Select(ImageInput.FromFile), 3).ToArray();
                for (var i = 0; i < got.Length; i++)
                    if (!got[i].Predictions.SequenceEqual(expected[i].Predictions)) Interlocked.Increment(ref failures);
            }
        });
        Assert.AreEqual(0, failures);
    }

    [TestMethod]
    public void BadModelsGiveClearErrorsNamingTheFile()
    {
        var missing = dir.File("nope.onnx");
        var notFound = Assert.ThrowsExactly<FileNotFoundException>(() => new OnnxImageClassifier(missing));
        StringAssert.Contains(notFound.Message, "nope.onnx");
        var corrupt = dir.File("corrupt.onnx");
        File.WriteAllBytes(corrupt, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
        var bad = Assert.ThrowsExactly<InvalidDataException>(() => new OnnxImageClassifier(corrupt));
        StringAssert.Contains(bad.Message, "corrupt.onnx");
        StringAssert.Contains(bad.Message, "ONNX Runtime cannot load this model");
        var badBytes = Assert.ThrowsExactly<InvalidDataException>(() => new OnnxImageClassifier(new byte[] { 1, 2, 3 }, "upload.onnx"));
        StringAssert.Contains(badBytes.Message, "upload.onnx (3 bytes in memory)");
        var (model, featuresOnly) = Export(embed: false, classes: 0, name: "headless");
        model.Dispose();
        var noLogits = Assert.ThrowsExactly<InvalidDataException>(() => new OnnxImageClassifier(featuresOnly));
        StringAssert.Contains(noLogits.Message, "logits");
        using var featurizer = new OnnxImageFeaturizer(featuresOnly);
        Assert.AreEqual(320, featurizer.Featurize(images[0]).Length);
        // A model whose input is not an RGB image.
        var gray = dir.File("gray.onnx");
        using (var g = TorchModelRegistry.Create("inceptionnext_atto", c => c with { InChannels = 1, NumClasses = 2 }))
            TorchOnnxExporter.Export(g, gray, new OnnxExportOptions { ImageSize = 64, Preprocessing = g.Config.Preprocessing with { Mean = [0.5f], Std = [0.5f] } });
        var channels = Assert.ThrowsExactly<InvalidDataException>(() => new OnnxImageClassifier(gray));
        StringAssert.Contains(channels.Message, "1 channels");
    }

    [TestMethod]
    public void CudaOnTheCpuPackageFailsClearlyOrFallsBackAsAsked()
    {
        var (model, path) = Export(embed: false, name: "gpu");
        model.Dispose();
        // The test project references the CPU package only, so the CUDA provider can never be created here.
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => new OnnxImageClassifier(path, new InferenceOptions { GpuDeviceId = 0 }));
        StringAssert.Contains(e.Message, "gpu-False-3.onnx");
        StringAssert.Contains(e.Message, "Microsoft.ML.OnnxRuntime.Gpu");
        StringAssert.Contains(e.Message, "FallbackToCpu");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new InferenceOptions { GpuDeviceId = -1 });

        using var cpu = new OnnxImageClassifier(path);
        using var fallback = new OnnxImageClassifier(path, new InferenceOptions { GpuDeviceId = 1, FallbackToCpu = true });
        Assert.AreEqual("CPU", cpu.ExecutionProvider);
        Assert.AreEqual("CPU", fallback.ExecutionProvider);
        var expected = cpu.ClassifyMany(images.Select(ImageInput.FromFile), 3).ToArray();
        var actual = fallback.ClassifyMany(images.Select(ImageInput.FromFile), 3).ToArray();
        for (var i = 0; i < expected.Length; i++) CollectionAssert.AreEqual(expected[i].Predictions.ToArray(), actual[i].Predictions.ToArray());

        var (code, _, stderr) = ProcessRunner.RunCli("predict", "--model", path, "--device", "cuda", images[0]);
        Assert.AreEqual(1, code, stderr);
        StringAssert.Contains(stderr, "--fallback-to-cpu");
        (code, var stdout, stderr) = ProcessRunner.RunCli("predict", "--model", path, "--device", "cuda:0", "--fallback-to-cpu", images[0]);
        Assert.AreEqual(0, code, stderr);
        StringAssert.Contains(stderr, "running on the CPU");
        StringAssert.StartsWith(stdout, images[0]);
        (code, _, stderr) = ProcessRunner.RunCli("predict", "--model", path, "--device", "gpu", images[0]);
        Assert.AreNotEqual(0, code);
        StringAssert.Contains(stderr, "--device 'gpu' is not a device");
    }

    [TestMethod]
    public void OnnxRuntimeTelemetryIsOffUnlessTheApplicationAsks()
    {
        var (model, path) = Export(embed: false, name: "telemetry");
        model.Dispose();
        // ONNX Runtime 1.31 on Linux keeps a device id and an event database under ~/.cache when its telemetry is on.
        string Store(string home) => Path.Combine(home, ".cache", "Microsoft", "DeveloperTools", ".onnxruntime");
        using var quiet = new TempDir();
        var (code, _, stderr) = ProcessRunner.RunCli(new Dictionary<string, string?> { ["HOME"] = quiet.Path, ["ORT_DISABLE_TELEMETRY"] = null },
            "predict", "--model", path, images[0]);
        Assert.AreEqual(0, code, stderr);
        Assert.IsFalse(Directory.Exists(Store(quiet.Path)), "the library must switch ONNX Runtime's telemetry off by default");
        if (!OperatingSystem.IsLinux()) return;
        // The check above can fail: the same run with the application opting in writes the store.
        using var opted = new TempDir();
        // ONNX Runtime itself stays quiet on CI services, which it recognises by these variables (strings of its library).
        var optIn = new Dictionary<string, string?> { ["HOME"] = opted.Path, ["ORT_DISABLE_TELEMETRY"] = "0" };
        foreach (var ci in new[] { "CI", "TF_BUILD", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "TRAVIS", "JENKINS_URL", "CODEBUILD_BUILD_ID",
                     "BUILDKITE", "TEAMCITY_VERSION", "APPVEYOR", "BITBUCKET_BUILD_NUMBER" })
            optIn[ci] = null;
        (code, _, stderr) = ProcessRunner.RunCli(optIn, "predict", "--model", path, images[0]);
        Assert.AreEqual(0, code, stderr);
        Assert.IsTrue(Directory.Exists(Store(opted.Path)), "ORT_DISABLE_TELEMETRY=0 set by the application is respected");
    }

    [TestMethod]
    public void PredictCommandRefusesAnEmptyFolderAndUnboundedArguments()
    {
        var (model, path) = Export(embed: true, name: "bounds");
        model.Dispose();
        using var empty = new TempDir();
        var (code, stdout, stderr) = ProcessRunner.RunCli("predict", "--model", path, empty.Path);
        Assert.AreEqual(1, code, stderr);
        Assert.AreEqual("", stdout);
        StringAssert.Contains(stderr, $"no .jpg, .jpeg or .png image found in {empty.Path}");
        (code, _, stderr) = ProcessRunner.RunCli("predict", "--model", path, "--threads", "100000", images[0]);
        Assert.AreEqual(1, code, stderr);
        StringAssert.Contains(stderr, "--threads 100000 is out of range: use 0 (one per core) to");
        (code, _, stderr) = ProcessRunner.RunCli("predict", "--model", path, "--batch-size", "0", images[0]);
        Assert.AreEqual(1, code, stderr);
        StringAssert.Contains(stderr, "--batch-size 0 is out of range: use 1 to 1024");
    }

    [TestMethod]
    public void PredictCommandPrintsOneLinePerImageAndExitCode2OnFailures()
    {
        var (model, path) = Export(embed: true);
        model.Dispose();
        var (code, stdout, stderr) = ProcessRunner.RunCli("predict", "--model", path, "--top", "2", dir.Path);
        Assert.AreEqual(2, code, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual(5, lines.Length, stdout);
        foreach (var line in lines)
        {
            var fields = line.Split('\t');
            Assert.AreEqual(5, fields.Length, line);
            Assert.IsTrue(File.Exists(fields[0]));
            CollectionAssert.Contains(Labels, fields[1]);
            Assert.IsTrue(float.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture) >= float.Parse(fields[4], System.Globalization.CultureInfo.InvariantCulture));
        }
        StringAssert.Contains(stderr, "empty.jpg");
        StringAssert.Contains(stderr, "notes.png");
    }

    [TestMethod]
    public void OnnxBenchmarkCommandReportsModelOnlyAndEndToEnd()
    {
        var (model, path) = Export(embed: false, name: "bench");
        model.Dispose();
        static double Rate(string line, string prefix)
        {
            StringAssert.StartsWith(line, prefix);
            var value = double.Parse(line[prefix.Length..].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.IsTrue(value > 0, line);
            return value;
        }

        var (code, stdout, stderr) = ProcessRunner.RunCli("benchmark", "--model", path, "--engine", "onnx", "--batch-size", "2",
            "--threads", "1", "--warmup", "1", "--iters", "3");
        Assert.AreEqual(0, code, stderr);
        var lines = stdout.TrimEnd().Split('\n');
        Rate(lines[^2], "median step: ");
        Rate(lines[^1], "throughput: ");

        // End to end over the fixture folder: 5 images and 2 unreadable files, which are counted and skipped.
        (code, stdout, stderr) = ProcessRunner.RunCli("benchmark", "--model", path, "--engine", "onnx", "--images", dir.Path,
            "--batch-size", "2", "--threads", "1", "--iters", "3");
        Assert.AreEqual(0, code, stderr);
        lines = stdout.TrimEnd().Split('\n');
        StringAssert.Contains(stdout, "2 image(s) could not be read");
        Rate(lines.Single(l => l.StartsWith("decode + preprocess only: ", StringComparison.Ordinal)), "decode + preprocess only: ");
        Rate(lines[^1], "throughput: ");
    }
}

/// <summary>Runs an action on dispose.</summary>
file sealed class Disposer(Action action) : IDisposable
{
    public void Dispose() => action();
}
