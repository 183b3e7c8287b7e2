using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace InceptionNeXt.ML.MLNet;

/// <summary>
/// What the ML.NET trainer in InceptionNeXt.Training needs from ML.NET's internal surface, reached here because this
/// assembly compiles against the publicized Microsoft.ML.Core/Data (MLNetInternals.cs); InceptionNeXt.Training does not.
/// </summary>
internal static class TrainerSupport
{
    /// <summary>The MLContext's environment behind <c>mlContext.MulticlassClassification.Trainers</c>.</summary>
    public static IHostEnvironment GetEnvironment(MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog) => ((Microsoft.ML.Data.IInternalCatalog)catalog).Environment;

    /// <summary>A scorer over an ONNX classifier held in memory.</summary>
    public static InceptionNeXtScoringTransformer CreateScorer(IHostEnvironment env, string inputColumnName, byte[] modelBytes, string modelName,
        InceptionNeXtScorerOptions options) => InceptionNeXtScoringTransformer.Create(env, inputColumnName, modelBytes, modelName, options);

    /// <summary>The columns a scorer with <paramref name="options"/> adds, as shapes.</summary>
    public static IEnumerable<SchemaShape.Column> ScorerShapes(InceptionNeXtScorerOptions options) => InceptionNeXtScoringTransformer.OutputShapes(options);

    /// <summary>Checks the scorer settings now, before a long training run, rather than after it.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public static void ValidateScorer(InceptionNeXtScorerOptions options) => options.Validate();

    /// <summary>Throws <see cref="OperationCanceledException"/> once the MLContext is cancelled (<c>mlContext.CancelExecution()</c>).</summary>
    public static void CheckAlive(IHost host) => host.CheckAlive();

    /// <summary>Writes <paramref name="message"/> to the MLContext's log (<c>mlContext.Log</c>) as information.</summary>
    public static void Info(IChannel channel, string message) => channel.Info(MessageSensitivity.None, message);
}
