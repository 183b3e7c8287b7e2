using System.Diagnostics;
using InceptionNeXt.ML.Benchmarks;
using InceptionNeXt.Training.LibTorch;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.Optim;

namespace InceptionNeXt.Training.Benchmarks;

/// <summary>What to measure with libtorch eager execution.</summary>
/// <param name="Model">Registry name.</param>
/// <param name="BatchSize">Images per step.</param>
/// <param name="ImageSize">Square input side.</param>
/// <param name="Train">Measure training steps (forward, cross-entropy, backward, AdamW) instead of inference.</param>
/// <param name="Threads">libtorch intra-op threads.</param>
/// <param name="Warmup">Untimed steps first.</param>
/// <param name="Iterations">Timed steps.</param>
/// <param name="NumClasses">Classifier outputs.</param>
/// <param name="Device">Where to run.</param>
/// <param name="ChannelsLast">Feed NHWC-strided input (can be faster on some devices).</param>
/// <param name="StemStride">Overrides the variant's stem stride (2 or 1 for small images).</param>
public sealed record TorchBenchmarkOptions(string Model, int BatchSize, int ImageSize, bool Train, int Threads, int Warmup = 3,
    int Iterations = 10, int NumClasses = 1000, Device? Device = null, bool ChannelsLast = false, int? StemStride = null);

/// <summary>Measures inference or training throughput of a zoo model on libtorch, the same loop as tools/reference/bench_torch.py.</summary>
public static class TorchBenchmark
{
    /// <summary>Runs the benchmark; <paramref name="log"/> receives progress lines.</summary>
    public static BenchmarkResult Run(TorchBenchmarkOptions options, Action<string>? log = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Iterations, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Warmup);
        var device = options.Device ?? Device.Cpu;
        Torch.EnsureDevice(device);
        Torch.NumThreads = options.Threads;
        Torch.ManualSeed(0);
        using var model = ModelRegistry.Create(options.Model, c => c with { NumClasses = options.NumClasses, StemStride = options.StemStride ?? c.StemStride });
        model.To(device);
        model.Train(options.Train);
        using var inputRaw = Torch.Randn([options.BatchSize, model.Config.InChannels, options.ImageSize, options.ImageSize], device: device);
        using var input = inputRaw.Contiguous(options.ChannelsLast);
        using var target = Torch.RandInt(options.NumClasses, [options.BatchSize], device);
        using var optimizer = options.Train ? new AdamW(Optimizer.DecayGroups(model, 0.05)) : null;

        void Step()
        {
            using var scope = Torch.NewDisposeScope();
            if (optimizer is null)
            {
                using var noGrad = Torch.NoGrad();
                model.Forward(input);
            }
            else
            {
                optimizer.ZeroGrad();
                var logits = model.Forward(input);
                var loss = Functional.CrossEntropy(logits, target);
                loss.Backward();
                optimizer.Step();
            }
            if (device.Type == DeviceType.Cuda) Torch.CudaSynchronize(device.Index);
        }

        log?.Invoke($"model={options.Model} batch={options.BatchSize} size={options.ImageSize} mode={(options.Train ? "train" : "inference")} " +
                    $"threads={Torch.NumThreads} device={device} libtorch={Torch.Version}");
        for (var i = 0; i < options.Warmup; i++) Step();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < options.Iterations; i++) Step();
        clock.Stop();
        var result = new BenchmarkResult((long)options.BatchSize * options.Iterations, clock.Elapsed.TotalSeconds);
        log?.Invoke($"time: {result.Seconds:F3} s for {options.Iterations} steps ({1000 * result.Seconds / options.Iterations:F1} ms/step)");
        return result;
    }
}
