// A training loop written against the libtorch binding: build a zoo model, train it with AdamW inside
// dispose scopes (no native memory left to the finalizer), then save and reload the weights.
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.Data;
using InceptionNeXt.Training.LibTorch;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.Optim;

Torch.ManualSeed(0);
Torch.NumThreads = Environment.ProcessorCount;

// Any registry name works; small images want a smaller stem stride.
using var model = ModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 2, StemStride = 2 });
using var optimizer = new AdamW(Optimizer.DecayGroups(model, weightDecay: 0.05), learningRate: 1e-3);
var (images, labels) = SyntheticStripes.Generate(count: 256, size: 32, seed: 1);

for (var step = 0; step < 20; step++)
{
    using var scope = Torch.NewDisposeScope(); // disposes every tensor made in this step
    var start = step * 16 % 256;
    optimizer.ZeroGrad();
    var loss = Functional.CrossEntropy(model.Forward(images.Narrow(0, start, 16)), labels.Narrow(0, start, 16));
    loss.Backward();
    optimizer.Step();
    Console.WriteLine($"step {step,2}: loss {loss.Item():F4}");
}

var path = Path.Combine(Path.GetTempPath(), "inceptionnext_atto_shapes.safetensors");
Checkpoint.SaveStateDict(path, model.StateDict());
using var reloaded = PretrainedWeights.Create("inceptionnext_atto", path, configure: c => c with { StemStride = 2 });
Console.WriteLine($"saved and reloaded {reloaded.ParameterCount():N0} parameters ({reloaded.Config.NumClasses} classes) from {path}");
images.Dispose();
labels.Dispose();
