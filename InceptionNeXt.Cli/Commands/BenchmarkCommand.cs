using System.CommandLine;
using System.Globalization;
using InceptionNeXt.Training.Benchmarks;
using InceptionNeXt.Training.LibTorch;

namespace InceptionNeXt.Cli.Commands;

/// <summary><c>inceptionnext benchmark</c>: throughput of a model; the last line is <c>throughput: X img/s</c>.</summary>
internal static class BenchmarkCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model name from `inceptionnext models`", Required = true };
        var engine = new Option<string>("--engine") { Description = "torch (libtorch eager)", DefaultValueFactory = _ => "torch" };
        var batch = new Option<int>("--batch-size", "-b") { Description = "Images per step", DefaultValueFactory = _ => 16 };
        var size = new Option<int>("--image-size") { Description = "Square input side", DefaultValueFactory = _ => 224 };
        var train = new Option<bool>("--train") { Description = "Measure training steps (forward, loss, backward, AdamW)" };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps", DefaultValueFactory = _ => 3 };
        var iters = new Option<int>("--iters") { Description = "Timed steps", DefaultValueFactory = _ => 10 };
        var classes = new Option<int>("--num-classes") { Description = "Classifier outputs", DefaultValueFactory = _ => 1000 };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N]", DefaultValueFactory = _ => "cpu" };
        var channelsLast = new Option<bool>("--channels-last") { Description = "NHWC-strided input" };
        var command = new Command("benchmark", "Measure inference or training throughput.")
        {
            model, engine, batch, size, train, threads, warmup, iters, classes, device, channelsLast,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var engineName = parse.GetValue(engine)!;
            if (engineName != "torch")
                throw new ArgumentException($"--engine {engineName} is not available; supported engines: torch.");
            var result = TorchBenchmark.Run(new TorchBenchmarkOptions(
                parse.GetValue(model)!, parse.GetValue(batch), parse.GetValue(size), parse.GetValue(train), parse.GetValue(threads),
                parse.GetValue(warmup), parse.GetValue(iters), parse.GetValue(classes), Device.Parse(parse.GetValue(device)!),
                parse.GetValue(channelsLast)), Console.WriteLine);
            Console.WriteLine($"throughput: {result.ImagesPerSecond.ToString("F2", CultureInfo.InvariantCulture)} img/s");
            return 0;
        }));
        return command;
    }
}
