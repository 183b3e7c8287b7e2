using System.CommandLine;
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
        var threads = new Option<int>("--threads") { Description = "libtorch (TorchSharp) intra-op threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var valFraction = new Option<double>("--val-fraction") { Description = "Validation share when the data has no validation set", DefaultValueFactory = _ => 0.1 };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N]", DefaultValueFactory = _ => "cpu" };
        var freeze = new Option<int>("--freeze-stages") { Description = "Fine-tuning: keep the stem and the first N stages (0-4) frozen", DefaultValueFactory = _ => 0 };
        var channelsLast = new Option<bool?>("--channels-last") { Description = "Channels-last (NHWC-strided) activations (default: the engine's, on)" };
        var command = new Command("train", "Train a model on an image dataset (Ctrl+C stops after the current step with a resumable checkpoint).")
        {
            data, model, output, epochs, budget, batch, lr, lrBase, lrBaseSize, warmup, wd, accum, clip, dropPath, mixup, cutmix, smoothing,
            aa, reprob, emaOption, emaDecay, pretrained, size, stem, resume, seed, workers, threads, valFraction, device, channelsLast, freeze,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
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
            };
            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) =>
            {
                // The first Ctrl+C stops after the current step and saves; a second one ends the process.
                if (cancel.IsCancellationRequested) return;
                e.Cancel = true;
                Console.Error.WriteLine("stopping after the current step (Ctrl+C again to abort)...");
                cancel.Cancel();
            };
            Console.CancelKeyPress += onCancel;
            try
            {
                // A terminal gets a live progress bar; redirected output keeps plain progress lines for logs.
                var bar = Console.IsOutputRedirected ? null : new ProgressBar();
                var trainer = bar is null ? new TorchTrainer(options) : new TorchTrainer(options, bar.WriteLine) { OnStep = bar.Update };
                try
                {
                    var result = trainer.Run(cancel.Token);
                    return result.Stopped ? 130 : 0;
                }
                finally
                {
                    bar?.Finish();
                }
            }
            finally
            {
                Console.CancelKeyPress -= onCancel;
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
