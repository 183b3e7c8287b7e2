// Serves timed ONNX Runtime runs for tools/bench/paired_steps.py: loads MODEL with the same session options as
// ort_node_bench.js --serve, prints "ready", then for each "run" line on stdin runs one batch and prints its seconds.
using System.Diagnostics;
using System.Globalization;
using InceptionNeXt.ML.OnnxRuntime;

if (args.Length < 4)
{
    Console.Error.WriteLine("usage: OrtStepServer MODEL.onnx BATCH SIZE THREADS");
    return 2;
}

var (model, batch, size, threads) = (args[0], int.Parse(args[1], CultureInfo.InvariantCulture),
    int.Parse(args[2], CultureInfo.InvariantCulture), int.Parse(args[3], CultureInfo.InvariantCulture));
using var options = new SessionOptions
{
    GraphOptimizationLevel = GraphOptimizationLevel.All, ExecutionMode = ExecutionMode.Sequential,
    IntraOpThreads = threads, InterOpThreads = 1,
};
options.SetAllowSpinning(true);
// The other engine runs between our steps: our threads must not spin into its time.
options.AddConfigEntry("session.force_spinning_stop", "1");
using var session = new InferenceSession(model, options);
var pixels = new float[batch * 3 * size * size];
var random = new Random(0);
for (var i = 0; i < pixels.Length; i++) pixels[i] = (float)((random.NextDouble() * 2) - 1);
using var input = OrtTensor.Create(pixels, batch, 3, size, size);
NamedTensor[] feeds = [new NamedTensor(session.InputNames[0], input)];
for (var i = 0; i < 3; i++)
{
    using var warm = session.Run(feeds);
}

Console.WriteLine("ready");
while (Console.ReadLine() is "run")
{
    var clock = Stopwatch.StartNew();
    using (session.Run(feeds))
    {
    }

    Console.WriteLine(clock.Elapsed.TotalSeconds.ToString("R", CultureInfo.InvariantCulture));
}

return 0;
