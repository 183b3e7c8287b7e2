using System.CommandLine;
using System.Runtime.InteropServices;
using InceptionNeXt.Training.Training;
using InceptionNeXt.Training.TorchTraining;

namespace InceptionNeXt.Cli.Commands;

/// <summary><c>inceptionnext train</c>: flag names follow the official train.py where they exist.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "IDX folder, ImageNet layout (train/, val/) or one folder per class", Required = true };
        var model = new Option<string>("--model") { Description = "Model name from `inceptionnext models`", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Folder for checkpoints, log and report", Required = true };
        var epochs = new Option<int>("--epochs") { Description = "Epochs", DefaultValueFactory = _ => 10 };
        var budget = new Option<string?>("--time-budget") { Description = "Train for a duration instead (e.g. 30m, 1h, 90s)" };
        var batch = new Option<int>("--batch-size", "-b") { Description = "Images per step", DefaultValueFactory = _ => 128 };
        var lr = new Option<double?>("--lr") { Description = "Absolute learning rate (default: --lr-base scaled to the batch)" };
        var lrBase = new Option<double?>("--lr-base") { Description = "Learning rate for a batch of --lr-base-size (default 4e-3, or 3e-3 for images up to 64 px)" };
        var lrBaseSize = new Option<int?>("--lr-base-size") { Description = "Reference batch of --lr-base (default 4096, or 128 for images up to 64 px)" };
        var warmup = new Option<double?>("--warmup-epochs") { Description = "Warmup epochs (default 5, or 0.3 for images up to 64 px)" };
        var wd = new Option<double>("--weight-decay") { Description = "AdamW weight decay", DefaultValueFactory = _ => 0.05 };
        var accum = new Option<int>("--grad-accum-steps") { Description = "Micro-batches per optimizer step", DefaultValueFactory = _ => 1 };
        var clip = new Option<double?>("--clip-grad") { Description = "Gradient-norm clipping" };
        var dropPath = new Option<double?>("--drop-path") { Description = "Stochastic depth rate (default 0.1, or 0.05 for images up to 64 px)" };
        var mixup = new Option<double?>("--mixup") { Description = "Mixup alpha, 0 = off (default 0.8, or off for images up to 64 px)" };
        var cutmix = new Option<double?>("--cutmix") { Description = "CutMix alpha, 0 = off (default 1.0, or off for images up to 64 px)" };
        var smoothing = new Option<double>("--smoothing") { Description = "Label smoothing", DefaultValueFactory = _ => 0.1 };
        var aa = new Option<string?>("--aa") { Description = "RandAugment string or 'none' (default rand-m9-mstd0.5-inc1, or none for images up to 64 px)" };
        var reprob = new Option<double?>("--reprob") { Description = "Random-erasing probability (default 0.25, or 0 for images up to 64 px)" };
        var emaOption = new Option<bool>("--model-ema") { Description = "Keep and validate an EMA of the weights" };
        var emaDecay = new Option<double>("--model-ema-decay") { Description = "EMA decay", DefaultValueFactory = _ => 0.9998 };
        var pretrained = new Option<string?>("--pretrained") { Description = "Initial weights (.pth/.safetensors); a new head if classes differ" };
        var size = new Option<int?>("--image-size") { Description = "Training size (default 32 for images up to 64 px, else 224)" };
        var stem = new Option<int?>("--stem-stride") { Description = "Stem stride 4, 2 or 1 (default 2 for images up to 64 px)" };
        var resume = new Option<string?>("--resume") { Description = "Continue from a training checkpoint (last.pth)" };
        var seed = new Option<int>("--seed") { Description = "Seed", DefaultValueFactory = _ => 42 };
        var workers = new Option<int>("--workers", "-j") { Description = "Data-loading threads", DefaultValueFactory = _ => Math.Max(1, Environment.ProcessorCount / 2) };
        var threads = new Option<int>("--threads") { Description = "libtorch (TorchSharp) intra-op threads (default: the cores other processes leave free, 1 to 8)", DefaultValueFactory = _ => TrainOptions.DefaultThreads };
        var force = new Option<bool>("--force") { Description = "Start a new run in an --output folder that holds one (its checkpoints and log are replaced)" };
        var valFraction = new Option<double>("--val-fraction") { Description = "Validation share when the data has no validation set", DefaultValueFactory = _ => 0.1 };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N]", DefaultValueFactory = _ => "cpu" };
        var freeze = new Option<int>("--freeze-stages") { Description = "Fine-tuning: keep the stem and the first N stages (0-4) frozen", DefaultValueFactory = _ => 0 };
        var channelsLast = new Option<bool?>("--channels-last") { Description = "Channels-last (NHWC-strided) activations (default: the engine's, on)" };
        var command = new Command("train", "Train a model on an image dataset (Ctrl+C or SIGTERM stops after the current step with a resumable checkpoint; exit code 130 or 143).")
        {
            data, model, output, epochs, budget, batch, lr, lrBase, lrBaseSize, warmup, wd, accum, clip, dropPath, mixup, cutmix, smoothing,
            aa, reprob, emaOption, emaDecay, pretrained, size, stem, resume, seed, workers, threads, valFraction, device, channelsLast, freeze, force,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            // Bounds named as the user typed them, before anything reaches the trainer (whose own checks name its options).
            ArgumentBounds.BatchSize("--batch-size", parse.GetValue(batch));
            ArgumentBounds.Threads("--threads", parse.GetValue(threads), zeroMeansDefault: false);
            ArgumentBounds.Range("--workers", parse.GetValue(workers), 1, 4 * Environment.ProcessorCount);
            ArgumentBounds.Range("--grad-accum-steps", parse.GetValue(accum), 1, 1024);
            if (parse.GetValue(budget) is null) ArgumentBounds.Range("--epochs", parse.GetValue(epochs), 1, 100_000);
            if (parse.GetValue(size) is { } imageSize) ArgumentBounds.ImageMemory("--image-size", imageSize, parse.GetValue(batch), training: true);
            if (parse.GetValue(valFraction) is var fraction && !(fraction > 0 && fraction < 1))
                throw new ArgumentException($"--val-fraction {fraction} is out of range: use a number between 0 and 1.");
            var options = new TrainOptions
            {
                Data = parse.GetValue(data)!, Model = parse.GetValue(model)!, Output = parse.GetValue(output)!,
                Epochs = parse.GetValue(epochs), TimeBudget = ParseDuration(parse.GetValue(budget)), BatchSize = parse.GetValue(batch),
                Lr = parse.GetValue(lr), LrBase = parse.GetValue(lrBase), LrBaseSize = parse.GetValue(lrBaseSize),
                WarmupEpochs = parse.GetValue(warmup), WeightDecay = parse.GetValue(wd), GradAccumSteps = parse.GetValue(accum),
                ClipGrad = parse.GetValue(clip), DropPath = parse.GetValue(dropPath), Mixup = parse.GetValue(mixup), Cutmix = parse.GetValue(cutmix),
                Smoothing = parse.GetValue(smoothing), AutoAugment = parse.GetValue(aa) is "none" ? "" : parse.GetValue(aa),
                ReProb = parse.GetValue(reprob), ModelEma = parse.GetValue(emaOption), ModelEmaDecay = parse.GetValue(emaDecay),
                Pretrained = parse.GetValue(pretrained), ImageSize = parse.GetValue(size), StemStride = parse.GetValue(stem),
                Resume = parse.GetValue(resume), Seed = parse.GetValue(seed), Workers = parse.GetValue(workers), Threads = parse.GetValue(threads),
                ValidationFraction = parse.GetValue(valFraction), Device = parse.GetValue(device)!, ChannelsLast = parse.GetValue(channelsLast), FreezeStages = parse.GetValue(freeze),
                Force = parse.GetValue(force),
            };
            using var cancel = new CancellationTokenSource();
            // SIGINT (Ctrl+C) and SIGTERM (kill, systemd, docker stop) both stop after the current step with a resumable
            // checkpoint; the exit code is then 128 + the signal (130, 143). A second signal ends the process at once.
            var signal = 0;
            void OnSignal(PosixSignalContext context)
            {
                if (cancel.IsCancellationRequested) return;
                context.Cancel = true;
                signal = context.Signal == PosixSignal.SIGTERM ? 15 : 2;
                Console.Error.WriteLine($"{(signal == 15 ? "SIGTERM" : "Ctrl+C")}: stopping after the current step with a resumable checkpoint (again to abort)...");
                cancel.Cancel();
            }
            using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
            using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
            {
                // A terminal gets a live progress bar; redirected output keeps plain progress lines for logs.
                var bar = Console.IsOutputRedirected ? null : new ProgressBar();
                var trainer = bar is null ? new TorchTrainer(options) : new TorchTrainer(options, bar.WriteLine) { OnStep = bar.Update };
                try
                {
                    var result = trainer.Run(cancel.Token);
                    return result.Stopped ? 128 + Math.Max(2, signal) : 0;
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                    return 128 + Math.Max(2, signal);
                }
                finally
                {
                    bar?.Finish();
                }
            }
        }));
        return command;
    }

    /// <summary>Parses 90s, 30m, 1.5h or a .NET TimeSpan (00:30:00).</summary>
    internal static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var t = text.Trim().ToLowerInvariant();
        var unit = t[^1];
        if (unit is 's' or 'm' or 'h' && double.TryParse(t[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v > 0)
            return unit switch { 's' => TimeSpan.FromSeconds(v), 'm' => TimeSpan.FromMinutes(v), _ => TimeSpan.FromHours(v) };
        if (TimeSpan.TryParse(t, System.Globalization.CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero) return span;
        throw new ArgumentException($"--time-budget '{text}' is not a duration; use e.g. 90s, 30m or 1.5h.");
    }
}
