using System.CommandLine;
using System.Globalization;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;

namespace InceptionNeXt.Cli.Commands;

/// <summary><c>inceptionnext models</c>: every variant with its parameter count and GMACs.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var size = new Option<int?>("--image-size") { Description = "Input side for GMACs (default: each variant's own input size)" };
        var command = new Command("models", "List the model zoo with parameter counts and GMACs.") { size };
        command.SetAction(parse => CommandRunner.Run(() =>
        {
            Console.WriteLine($"{"model",-30} {"family",-14} {"params",14} {"GMACs",8} {"input",6}");
            foreach (var row in Describe(parse.GetValue(size)))
                Console.WriteLine($"{row.Name,-30} {row.Family,-14} {row.Parameters.ToString("N0", CultureInfo.InvariantCulture),14} " +
                                  $"{row.GMacs.ToString("F2", CultureInfo.InvariantCulture),8} {row.InputSize,6}");
            return 0;
        }));
        return command;
    }

    /// <summary>One row per variant. Models are built on the meta device: structure only, no weights allocated.</summary>
    public static IEnumerable<(string Name, ModelFamily Family, long Parameters, double GMacs, int InputSize)> Describe(int? imageSize) =>
        ModelRegistry.Names.Select(name => Describe(name, imageSize));

    private static (string, ModelFamily, long, double, int) Describe(string name, int? imageSize)
    {
        using var model = TorchModelRegistry.CreateOnMeta(ModelRegistry.GetConfig(name));
        var size = imageSize ?? model.Config.Preprocessing.InputSize;
        return (name, model.Config.Family, model.ParameterCount(), model.CountMacs(size, size) / 1e9, size);
    }
}
