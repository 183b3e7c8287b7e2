using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using InceptionNeXt.Training.Data;
using InceptionNeXt.Training.Engine;
using InceptionNeXt.Training.TorchModels;
using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Cli.Commands;

/// <summary>
/// <c>inceptionnext demo</c>: trains inceptionnext_atto from scratch on generated stripes (horizontal vs. vertical)
/// for a few seconds and reports held-out accuracy, showing the TorchSharp training stack on any machine.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model name", DefaultValueFactory = _ => "inceptionnext_atto" };
        var steps = new Option<int>("--steps") { Description = "Training steps", DefaultValueFactory = _ => 200 };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("demo", "Train a small model on generated stripe images and report its accuracy.") { model, steps, threads };
        command.SetAction(parse => CommandRunner.Run(() =>
            Run(parse.GetValue(model)!, parse.GetValue(steps), parse.GetValue(threads))));
        return command;
    }

    private static int Run(string modelName, int steps, int threads)
    {
        const int size = 32, batch = 32;
        TorchEngine.Initialize(new TorchEngineOptions { Threads = threads });
        manual_seed(42);
        using var net = TorchModelRegistry.Create(modelName, c => c with { NumClasses = 2, StemStride = 2 });
        Console.WriteLine($"{modelName}: {net.ParameterCount():N0} parameters, TorchSharp with libtorch {__version__}, {threads} thread(s)");
        var (trainX, trainY) = SyntheticStripes.Generate(1024, size, seed: 1);
        var (testX, testY) = SyntheticStripes.Generate(256, size, seed: 2);
        using (trainX) using (trainY) using (testX) using (testY)
        using (var optimizer = TorchOptimizers.AdamW(net, 2e-3, weightDecay: 0.05))
        {
            var clock = Stopwatch.StartNew();
            for (var step = 1; step <= steps; step++)
            {
                using var scope = NewDisposeScope(); // every tensor of the step goes at its end, none to the finalizer
                var start = (step - 1) * batch % 1024;
                var x = trainX.narrow(0, start, batch);
                var y = trainY.narrow(0, start, batch);
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(net.call(x), y);
                loss.backward();
                optimizer.step();
                if (step % 10 == 0 || step == 1)
                    Console.WriteLine($"step {step,4}  loss {loss.item<float>().ToString("F4", CultureInfo.InvariantCulture)}  " +
                                      $"{(step * batch / clock.Elapsed.TotalSeconds).ToString("F1", CultureInfo.InvariantCulture)} img/s");
            }
            net.eval();
            using var noGrad = no_grad();
            using var evalScope = NewDisposeScope();
            var predicted = net.call(testX).argmax(1);
            var accuracy = predicted.eq(testY).to_type(ScalarType.Float32).mean().item<float>();
            Console.WriteLine($"held-out accuracy: {(100 * accuracy).ToString("F1", CultureInfo.InvariantCulture)}% " +
                              $"({SyntheticStripes.Labels[0]} vs {SyntheticStripes.Labels[1]}, 256 images)");
        }
        return 0;
    }
}
