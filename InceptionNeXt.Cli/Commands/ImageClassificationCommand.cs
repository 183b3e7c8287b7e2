using System.CommandLine;
using System.Globalization;
using InceptionNeXt.Cli.ModelBuilder;

namespace InceptionNeXt.Cli.Commands;

/// <summary><c>inceptionnext image-classification</c>: Model Builder's image scenario from the command line.</summary>
internal static class ImageClassificationCommand
{
    public static Command Create()
    {
        var dataset = new Option<string>("--dataset") { Description = "Folder with one subfolder of images per label", Required = true };
        var validation = new Option<string?>("--validation-dataset") { Description = "Validation folder in the same layout (default: 20% of each label held out)" };
        var time = new Option<int>("--train-time") { Description = "Training time budget in seconds", DefaultValueFactory = _ => 300 };
        var model = new Option<string?>("--model") { Description = "Backbone architecture for --pretrained (e.g. inceptionnext_tiny)" };
        var pretrained = new Option<string?>("--pretrained") { Description = "Backbone weights (.pth, .safetensors or a training checkpoint); default: the bundled Fashion-MNIST model" };
        var output = new Option<string>("--output", "-o") { Description = "Output folder", DefaultValueFactory = _ => "ImageClassifier" };
        var name = new Option<string>("--name") { Description = "Model and console project name", DefaultValueFactory = _ => "ImageClassifier" };
        var cache = new Option<string?>("--cache") { Description = "Feature cache folder (default ~/.cache/inceptionnext/features)" };
        var seed = new Option<int>("--seed") { Description = "Seed of the validation split and trainers", DefaultValueFactory = _ => 1 };
        var command = new Command("image-classification", "Train an image classifier from a folder of labelled images (one subfolder per label) within a time budget; writes model.zip, model.onnx, report.html and a console app.")
        {
            dataset, validation, time, model, pretrained, output, name, cache, seed,
        };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            var projectName = parse.GetValue(name)!;
            if (!System.Text.RegularExpressions.Regex.IsMatch(projectName, "^[A-Za-z_][A-Za-z0-9_]*$"))
                throw new ArgumentException($"--name '{projectName}' must be a C# identifier (letters, digits, underscores; not starting with a digit).");
            if (parse.GetValue(time) < 1) throw new ArgumentException("--train-time must be at least 1 second.");
            var options = new BuilderOptions
            {
                Dataset = parse.GetValue(dataset)!, ValidationDataset = parse.GetValue(validation), TrainTime = TimeSpan.FromSeconds(parse.GetValue(time)),
                Model = parse.GetValue(model), Pretrained = parse.GetValue(pretrained), Output = parse.GetValue(output)!, Name = projectName,
                CacheDirectory = parse.GetValue(cache), Seed = parse.GetValue(seed),
            };
            var best = new ImageClassificationBuilder(options, Console.WriteLine).Run();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"accuracy: {best.Metrics.MicroAccuracy * 100:F2}%"));
            return 0;
        }));
        return command;
    }
}
