using System.CommandLine;
using InceptionNeXt.Cli.Commands;

// `inceptionnext`: the model zoo, benchmarks and a demo from the command line.
var root = new RootCommand("InceptionNeXt for .NET: train, export and run InceptionNeXt / ConvNeXt image classifiers.");
root.Subcommands.Add(ModelsCommand.Create());
root.Subcommands.Add(BenchmarkCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(ValidateCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(ImageClassificationCommand.Create());
return root.Parse(args).Invoke();
