using System.CommandLine;
using System.Globalization;
using InceptionNeXt.ML.Benchmarks;
using InceptionNeXt.ML.Imaging;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.TorchModels;

namespace InceptionNeXt.Cli.Commands;

/// <summary><c>inceptionnext benchmark</c>: throughput of a model; the last line is <c>throughput: X img/s</c>.</summary>
internal static class BenchmarkCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model name from `inceptionnext models`, or an .onnx file (onnx engine)", Required = true };
        var engine = new Option<string>("--engine") { Description = "torch (TorchSharp, libtorch 2.10) or onnx (ONNX Runtime)", DefaultValueFactory = _ => "torch" };
        var images = new Option<DirectoryInfo?>("--images") { Description = "onnx engine: time decode + preprocess + inference over this folder's images" };
        var batch = new Option<int>("--batch-size", "-b") { Description = "Images per step", DefaultValueFactory = _ => 16 };
        var size = new Option<int>("--image-size") { Description = "Square input side", DefaultValueFactory = _ => 224 };
        var train = new Option<bool>("--train") { Description = "Measure training steps (forward, loss, backward, AdamW)" };
        var threads = new Option<int>("--threads") { Description = "Intra-op threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps", DefaultValueFactory = _ => 3 };
        var iters = new Option<int>("--iters") { Description = "Timed steps", DefaultValueFactory = _ => 10 };
        var classes = new Option<int>("--num-classes") { Description = "Classifier outputs", DefaultValueFactory = _ => 1000 };
        var device = new Option<string>("--device") { Description = "cpu or cuda[:N]", DefaultValueFactory = _ => "cpu" };
        var channelsLast = new Option<bool?>("--channels-last") { Description = "torch engine: channels-last (NHWC-strided) activations (default on)" };
        var jpeg = new Option<JpegBackend>("--jpeg-backend") { Description = "onnx engine with --images: JPEG decoder, Auto (TurboJPEG where installed, else SkiaSharp), Skia or TurboJpeg", DefaultValueFactory = _ => JpegBackend.Auto };
        var stem = new Option<int?>("--stem-stride") { Description = "torch engine: stem stride 4, 2 or 1 (small images)" };
        var command = new Command("benchmark", "Measure inference or training throughput.")
        {
            model, engine, batch, size, train, threads, warmup, iters, classes, device, channelsLast, images, stem, jpeg,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var engineName = parse.GetValue(engine)!;
            ArgumentBounds.Threads("--threads", parse.GetValue(threads), zeroMeansDefault: false);
            ArgumentBounds.BatchSize("--batch-size", parse.GetValue(batch));
            ArgumentBounds.Range("--warmup", parse.GetValue(warmup), 0, 10_000);
            ArgumentBounds.Range("--iters", parse.GetValue(iters), 1, 100_000);
            ArgumentBounds.Range("--num-classes", parse.GetValue(classes), 1, 100_000);
            // With --images the model's own size is used; otherwise --image-size sizes every step's tensors.
            if (parse.GetValue(images) is null) ArgumentBounds.ImageMemory("--image-size", parse.GetValue(size), parse.GetValue(batch), parse.GetValue(train));
            var deviceText = parse.GetValue(device)!;
            BenchmarkResult result;
            if (engineName == "torch")
            {
                // TorchSharp's CPU libtorch is the backend referenced here; a CUDA run needs its CUDA package (README).
                if (GpuDevice.Parse(deviceText, "--device") is not null && !TorchSharp.torch.cuda.is_available())
                    throw new ArgumentException("--engine torch has no CUDA here (libtorch-cpu); see the README's \"Training on a GPU\".");
                result = TorchSharpBenchmark.Run(new TorchSharpBenchmarkOptions(
                    parse.GetValue(model)!, parse.GetValue(batch), parse.GetValue(size), parse.GetValue(train), parse.GetValue(threads),
                    parse.GetValue(warmup), parse.GetValue(iters), parse.GetValue(classes), parse.GetValue(channelsLast) ?? true,
                    parse.GetValue(stem)), Console.WriteLine);
            }
            else if (engineName == "onnx")
            {
                if (parse.GetValue(train)) throw new ArgumentException("--train needs --engine torch.");
                result = RunOnnx(parse.GetValue(model)!, parse.GetValue(batch), parse.GetValue(size), parse.GetValue(threads),
                    parse.GetValue(warmup), parse.GetValue(iters), parse.GetValue(classes),
                    GpuDevice.Parse(deviceText, "--device"), parse.GetValue(images), parse.GetValue(jpeg));
            }
            else throw new ArgumentException($"--engine {engineName} is not available; supported engines: torch, onnx.");
            if (result.MedianImagesPerSecond is { } median)
                Console.WriteLine($"median step: {median.ToString("F2", CultureInfo.InvariantCulture)} img/s");
            Console.WriteLine($"throughput: {result.ImagesPerSecond.ToString("F2", CultureInfo.InvariantCulture)} img/s");
            return 0;
        }));
        return command;
    }

    // An .onnx file is used as it is; a zoo name is exported (fresh weights) to a temporary file at the requested size.
    private static BenchmarkResult RunOnnx(string model, int batch, int size, int threads, int warmup, int iters, int classes, int? gpuDeviceId,
        DirectoryInfo? images, JpegBackend jpeg)
    {
        var path = model;
        string? temporary = null;
        if (!model.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            temporary = Path.Combine(Path.GetTempPath(), $"inceptionnext-bench-{Guid.NewGuid():N}.onnx");
            using var net = TorchModelRegistry.Create(model, c => c with { NumClasses = classes });
            TorchOnnxExporter.Export(net, temporary, new OnnxExportOptions { ImageSize = size });
            path = temporary;
        }
        else if (!File.Exists(model)) throw new FileNotFoundException($"--model {model} does not exist.");
        try
        {
            if (images is not null)
            {
                if (!images.Exists) throw new DirectoryNotFoundException($"--images {images.FullName} does not exist.");
                return OnnxBenchmark.EndToEnd(path, images.FullName, batch, threads, batch * iters, gpuDeviceId, Console.WriteLine,
                    new ImageDecoder { JpegBackend = jpeg });
            }
            return OnnxBenchmark.ModelOnly(path, batch, threads, warmup, iters, gpuDeviceId, Console.WriteLine);
        }
        finally
        {
            if (temporary is not null) File.Delete(temporary);
        }
    }
}
