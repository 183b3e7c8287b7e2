using System.Diagnostics;
using InceptionNeXt.ML.Imaging;
using InceptionNeXt.ML.Inference;
using Microsoft.ML.OnnxRuntime;

namespace InceptionNeXt.ML.Benchmarks;

/// <summary>ONNX Runtime throughput of an exported model: model-only (pre-bound random input) or end to end over a folder of images.</summary>
public static class OnnxBenchmark
{
    /// <summary>Model-only: times <paramref name="iterations"/> runs of a batch of random normalised pixels.</summary>
    public static BenchmarkResult ModelOnly(string modelPath, int batchSize, int threads, int warmup, int iterations, int? gpuDeviceId,
        Action<string>? log = null)
    {
        // Nothing else runs beside the model here, so its threads may spin (ONNX Runtime's own default).
        var options = new InferenceOptions { IntraOpThreads = threads, GpuDeviceId = gpuDeviceId, BatchSize = batchSize, AllowSpinning = true };
        var (session, provider) = OnnxSessionFactory.Create(modelPath, null, options);
        using var _ = session;
        using var runOptions = new RunOptions();
        var info = OnnxModelInfo.FromSession(session, modelPath);
        var pixels = new float[batchSize * 3 * info.InputSize * info.InputSize];
        var random = new Random(0);
        for (var i = 0; i < pixels.Length; i++) pixels[i] = (float)(random.NextDouble() * 2 - 1);
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [batchSize, 3, info.InputSize, info.InputSize]);
        string[] inputNames = [info.InputName];
        string[] outputNames = [session.OutputNames.Contains("logits") ? "logits" : session.OutputNames[0]];
        log?.Invoke($"engine=onnxruntime {OnnxSessionFactory.Runtime.GetVersionString()} (Microsoft.ML.OnnxRuntime) model={Path.GetFileName(modelPath)} " +
                    $"batch={batchSize} size={info.InputSize} threads={threads} device={provider.ToLowerInvariant()}");
        void Step()
        {
            using var results = session.Run(runOptions, inputNames, [input], outputNames);
        }
        for (var i = 0; i < warmup; i++) Step();
        var steps = new double[iterations];
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            var start = clock.Elapsed.TotalSeconds;
            Step();
            steps[i] = clock.Elapsed.TotalSeconds - start;
        }

        var total = clock.Elapsed.TotalSeconds;
        Array.Sort(steps);
        var median = iterations % 2 == 1 ? steps[iterations / 2] : (steps[(iterations / 2) - 1] + steps[iterations / 2]) / 2;
        return new BenchmarkResult((long)batchSize * iterations, total) { MedianImagesPerSecond = batchSize / median };
    }

    /// <summary>End to end: decode, preprocess and classify every image of a folder (repeated until <paramref name="minImages"/>).</summary>
    public static BenchmarkResult EndToEnd(string modelPath, string imageFolder, int batchSize, int threads, int minImages, int? gpuDeviceId,
        Action<string>? log = null, ImageDecoder? decoder = null)
    {
        var files = ImageFiles.Enumerate(imageFolder).ToArray();
        if (files.Length == 0) throw new ArgumentException($"{imageFolder} contains no .jpg/.jpeg/.png images.");
        using var classifier = new OnnxImageClassifier(modelPath, new InferenceOptions
        {
            IntraOpThreads = threads, GpuDeviceId = gpuDeviceId, BatchSize = batchSize, Decoder = decoder ?? ImageDecoder.Default,
        });
        var inputs = Enumerable.Range(0, Math.Max(1, (minImages + files.Length - 1) / files.Length))
            .SelectMany(_ => files).Select(ImageInput.FromFile).ToArray();
        var jpeg = classifier.Options.Decoder.JpegBackend is JpegBackend.Auto
            ? $"auto ({(ImageDecoder.TurboJpegAvailable ? "turbojpeg" : "skia")})" : classifier.Options.Decoder.JpegBackend.ToString().ToLowerInvariant();
        log?.Invoke($"engine=onnxruntime end-to-end folder={imageFolder} images={inputs.Length} batch={batchSize} threads={threads} jpeg={jpeg}");
        // One pass over the folder (at least two batches, at most 256 images) warms up the session, the decoders, the
        // JIT and the GC's budgets, so the clock sees the steady state a long-running application gets.
        foreach (var _ in classifier.ClassifyMany(inputs.Take(Math.Clamp(files.Length, 2 * batchSize, Math.Max(256, 2 * batchSize))), 1)) { }
        var gcBefore = (GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));
        var clock = Stopwatch.StartNew();
        var failed = classifier.ClassifyMany(inputs, 1).Count(r => !r.Succeeded);
        clock.Stop();
        log?.Invoke($"garbage collections during the run: gen0 {GC.CollectionCount(0) - gcBefore.Item1}, " +
                    $"gen1 {GC.CollectionCount(1) - gcBefore.Item2}, gen2 {GC.CollectionCount(2) - gcBefore.Item3}");
        if (failed > 0) log?.Invoke($"{failed} image(s) could not be read");
        var result = new BenchmarkResult(inputs.Length - failed, clock.Elapsed.TotalSeconds);

        // Decoding and preprocessing alone, on the same threads: with the model-only rate it bounds end to end on a
        // machine where the two must take turns (1 / (1/model + 1/preprocess)).
        clock.Restart();
        classifier.PreprocessOnly(inputs);
        log?.Invoke($"decode + preprocess only: {(inputs.Length / clock.Elapsed.TotalSeconds).ToString("F2", System.Globalization.CultureInfo.InvariantCulture)} img/s on {classifier.Options.PreprocessThreads} threads");
        return result;
    }
}
