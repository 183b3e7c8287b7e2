// Serves timed ONNX Runtime runs for tools/bench/paired_steps.py: loads MODEL with the same session options as
// ort_node_bench.js --serve, prints "ready", then for each "run" line on stdin runs one batch and prints its seconds
// ("dump PATH" writes the first output instead, for comparing engines' numbers).
// It drives the official Microsoft.ML.OnnxRuntime package the way InceptionNeXt.ML does: an OrtValue over pinned
// managed memory, names resolved once.
using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.OnnxRuntime;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: OrtStepServer MODEL.onnx BATCH SIZE THREADS");
    return 2;
}

var (model, batch, size, threads) = (args[0], int.Parse(args[1], CultureInfo.InvariantCulture),
    int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture));
using var options = new SessionOptions
{
    GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    IntraOpNumThreads = threads, InterOpNumThreads = 1,
};
options.AddSessionConfigEntry("session.intra_op.allow_spinning", "1");
// The other engine runs between our steps: our threads must not spin into its time.
options.AddSessionConfigEntry("session.force_spinning_stop", "1");
using var session = new InferenceSession(model, options);
using var runOptions = new RunOptions();
var pixels = new float[batch * 3 * size * size];
var random = new Random(0);
for (var i = 0; i < pixels.Length; i++) pixels[i] = (float)((random.NextDouble() * 2) - 1);
using var input = OrtValue.CreateTensorValueFromMemory(pixels, [batch, 3, size, size]);
string[] inputNames = [session.InputNames[0]];
OrtValue[] inputs = [input];
var outputNames = session.OutputNames.ToArray();
for (var i = 0; i < 3; i++)
{
    using var warm = session.Run(runOptions, inputNames, inputs, outputNames);
}

Console.WriteLine("ready");
while (Console.ReadLine() is { } request && (request == "run" || request.StartsWith("dump ", StringComparison.Ordinal)))
{
    if (request != "run")
    {
        // "dump PATH": the first output of one run on the fixed input, as raw little-endian float32, to compare engines.
        using var outputs = session.Run(runOptions, inputNames, inputs, outputNames);
        File.WriteAllBytes(request[5..], System.Runtime.InteropServices.MemoryMarshal.AsBytes(outputs[0].GetTensorDataAsSpan<float>()).ToArray());
        Console.WriteLine("0");
        continue;
    }

    var clock = Stopwatch.StartNew();
    using (session.Run(runOptions, inputNames, inputs, outputNames))
    {
    }

    Console.WriteLine(clock.Elapsed.TotalSeconds.ToString("R", CultureInfo.InvariantCulture));
}

return 0;
