using System.Diagnostics;
using InceptionNeXt.ML.Benchmarks;
using InceptionNeXt.Training.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>What to measure with TorchSharp (libtorch 2.10) eager execution.</summary>
/// <param name="Model">Registry name.</param>
/// <param name="BatchSize">Images per step.</param>
/// <param name="ImageSize">Square input side.</param>
/// <param name="Train">Measure training steps (forward, cross-entropy, backward, AdamW) instead of inference.</param>
/// <param name="Threads">libtorch intra-op threads.</param>
/// <param name="Warmup">Untimed steps first.</param>
/// <param name="Iterations">Timed steps.</param>
/// <param name="NumClasses">Classifier outputs.</param>
/// <param name="ChannelsLast">Channels-last activations (the engine's default).</param>
/// <param name="StemStride">Overrides the variant's stem stride (2 or 1 for small images).</param>
public sealed record TorchSharpBenchmarkOptions(string Model, int BatchSize, int ImageSize, bool Train, int Threads, int Warmup = 3,
    int Iterations = 10, int NumClasses = 1000, bool ChannelsLast = true, int? StemStride = null);

/// <summary>
/// Measures inference or training throughput of a zoo model on TorchSharp on the CPU: the same loop as
/// tools/reference/bench_torch.py (and the deleted libtorch binding's benchmark), so they compare step for step.
/// </summary>
public static class TorchSharpBenchmark
{
    /// <summary>Runs the benchmark; <paramref name="log"/> receives progress lines.</summary>
    public static BenchmarkResult Run(TorchSharpBenchmarkOptions options, Action<string>? log = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Iterations, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Warmup);
        var engine = TorchEngine.Initialize((TorchEngine.Options ?? new TorchEngineOptions()) with { Threads = options.Threads, ChannelsLast = options.ChannelsLast });
        manual_seed(0);
        using var model = TorchModelRegistry.Create(options.Model, c => c with { NumClasses = options.NumClasses, StemStride = options.StemStride ?? c.StemStride });
        model.train(options.Train);
        using var input = randn(options.BatchSize, model.Config.InChannels, options.ImageSize, options.ImageSize);
        using var target = randint(options.NumClasses, [options.BatchSize]);
        using var optimizer = options.Train ? TorchOptimizers.AdamW(model, 1e-3, 0.05) : null;

        void Step()
        {
            using (NewDisposeScope())
            {
                if (optimizer is null)
                {
                    using var noGrad = no_grad();
                    model.call(input);
                }
                else
                {
                    optimizer.zero_grad();
                    nn.functional.cross_entropy(model.call(input), target).backward();
                    optimizer.step();
                }
            }
            if (optimizer is not null) TorchEngine.EndStep();
        }

        log?.Invoke($"model={options.Model} batch={options.BatchSize} size={options.ImageSize} mode={(options.Train ? "train" : "inference")} " +
                    $"threads={get_num_threads()} channels_last={engine.ChannelsLast} malloc_tuned={TorchEngine.MallocTuned} engine=TorchSharp libtorch={__version__}");
        for (var i = 0; i < options.Warmup; i++) Step();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < options.Iterations; i++) Step();
        clock.Stop();
        var result = new BenchmarkResult((long)options.BatchSize * options.Iterations, clock.Elapsed.TotalSeconds);
        log?.Invoke($"time: {result.Seconds:F3} s for {options.Iterations} steps ({1000 * result.Seconds / options.Iterations:F1} ms/step)");
        return result;
    }
}
