using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using InceptionNeXt.Training.Data;
using InceptionNeXt.Training.LibTorch;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.Optim;

namespace InceptionNeXt.Cli.Commands;

/// <summary>
/// <c>inceptionnext demo</c>: trains inceptionnext_atto from scratch on generated stripes (horizontal vs. vertical)
/// for a few seconds and reports held-out accuracy, showing the whole training stack on any machine.
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
        Torch.NumThreads = threads;
        Torch.ManualSeed(42);
        using var net = ModelRegistry.Create(modelName, c => c with { NumClasses = 2, StemStride = 2 });
        Console.WriteLine($"{modelName}: {net.ParameterCount():N0} parameters, libtorch {Torch.Version}, {threads} thread(s)");
        var (trainX, trainY) = SyntheticStripes.Generate(1024, size, seed: 1);
        var (testX, testY) = SyntheticStripes.Generate(256, size, seed: 2);
        using (trainX) using (trainY) using (testX) using (testY)
        using (var optimizer = new AdamW(Optimizer.DecayGroups(net, 0.05), 2e-3))
        {
            var clock = Stopwatch.StartNew();
            for (var step = 1; step <= steps; step++)
            {
                using var scope = Torch.NewDisposeScope();
                var start = (step - 1) * batch % 1024;
                var x = trainX.Narrow(0, start, batch);
                var y = trainY.Narrow(0, start, batch);
                optimizer.ZeroGrad();
                var loss = Functional.CrossEntropy(net.Forward(x), y);
                loss.Backward();
                optimizer.Step();
                if (step % 10 == 0 || step == 1)
                    Console.WriteLine($"step {step,4}  loss {loss.Item().ToString("F4", CultureInfo.InvariantCulture)}  " +
                                      $"{(step * batch / clock.Elapsed.TotalSeconds).ToString("F1", CultureInfo.InvariantCulture)} img/s");
            }
            net.Eval();
            using var noGrad = Torch.NoGrad();
            using var evalScope = Torch.NewDisposeScope();
            var predicted = net.Forward(testX).Argmax(1);
            var accuracy = predicted.Eq(testY).To(ScalarType.Float32).Mean().Item();
            Console.WriteLine($"held-out accuracy: {(100 * accuracy).ToString("F1", CultureInfo.InvariantCulture)}% " +
                              $"({SyntheticStripes.Labels[0]} vs {SyntheticStripes.Labels[1]}, 256 images)");
        }
        return 0;
    }
}
