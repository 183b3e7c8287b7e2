using System.CommandLine;
using System.Globalization;
using System.Text;
using InceptionNeXt.ML.Imaging;
using InceptionNeXt.ML.Inference;

namespace InceptionNeXt.Cli.Commands;

/// <summary>
/// <c>inceptionnext predict</c>: one line per image, <c>path TAB label TAB probability</c> (k pairs with --top k).
/// Unreadable files are reported on stderr with the reason; the rest are still classified; exit code 2 if any failed.
/// </summary>
internal static class PredictCommand
{
    /// <summary>The largest --batch-size: 1024 images of 224 px are 600 MB of input alone.</summary>

    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "Exported .onnx model", Required = true };
        var top = new Option<int>("--top") { Description = "Classes per image", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch-size", "-b") { Description = "Images per inference call", DefaultValueFactory = _ => 16 };
        var threads = new Option<int>("--threads") { Description = "ONNX Runtime intra-op threads (0 = all cores)" };
        var device = new Option<string>("--device") { Description = "cpu, or cuda[:N] for ONNX Runtime's CUDA execution provider on GPU N (needs the GPU package, see README)", DefaultValueFactory = _ => "cpu" };
        var fallback = new Option<bool>("--fallback-to-cpu") { Description = "With --device cuda: run on the CPU when CUDA cannot be used, instead of failing" };
        var inputs = new Argument<string[]>("IMAGE_OR_DIR") { Description = "Image files or folders (searched recursively for .jpg/.jpeg/.png)", Arity = ArgumentArity.OneOrMore };
        var command = new Command("predict", "Classify images with an exported ONNX model.") { model, top, batch, threads, device, fallback, inputs };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var modelFile = parse.GetValue(model)!;
            if (!modelFile.Exists) throw new FileNotFoundException($"--model {modelFile.FullName} does not exist.");
            var k = parse.GetValue(top);
            if (k < 1) throw new ArgumentException("--top must be at least 1.");
            ArgumentBounds.Threads("--threads", parse.GetValue(threads));
            ArgumentBounds.BatchSize("--batch-size", parse.GetValue(batch));
            var failures = 0;
            var files = new List<string>();
            foreach (var input in parse.GetValue(inputs)!)
            {
                if (Directory.Exists(input))
                {
                    var scan = ImageFiles.Scan(input);
                    files.AddRange(scan.Images);
                    if (scan.UnreadSummary is { } unread) Console.Error.WriteLine($"{input}: {unread}");
                }
                else if (File.Exists(input)) files.Add(input);
                else
                {
                    Console.Error.WriteLine($"{input}: no such file or directory");
                    failures++;
                }
            }
            if (files.Count == 0 && failures == 0)
                throw new ArgumentException($"no .jpg, .jpeg or .png image found in {string.Join(", ", parse.GetValue(inputs)!)}.");
            var gpu = GpuDevice.Parse(parse.GetValue(device)!, "--device");
            using var classifier = new OnnxImageClassifier(modelFile.FullName, new InferenceOptions
            {
                BatchSize = parse.GetValue(batch), IntraOpThreads = parse.GetValue(threads), GpuDeviceId = gpu, FallbackToCpu = parse.GetValue(fallback),
            });
            if (gpu is not null && classifier.ExecutionProvider != "CUDA")
                Console.Error.WriteLine("CUDA cannot be used here; running on the CPU (--fallback-to-cpu).");
            var output = new StringBuilder();
            foreach (var result in classifier.ClassifyMany(files.Select(ImageInput.FromFile), k))
            {
                if (!result.Succeeded)
                {
                    var reason = result.Error!.Message;
                    Console.Error.WriteLine(reason.StartsWith(result.Source, StringComparison.Ordinal) ? reason : $"{result.Source}: {reason}");
                    failures++;
                    continue;
                }
                output.Clear().Append(result.Source);
                foreach (var p in result.Predictions)
                    output.Append('\t').Append(p.Label).Append('\t').Append(p.Probability.ToString("F4", CultureInfo.InvariantCulture));
                Console.WriteLine(output.ToString());
            }
            return failures > 0 ? 2 : 0;
        }));
        return command;
    }
}
