// A training loop written in plain TorchSharp around a zoo model: build it, train it with TorchSharp's AdamW (timm's
// weight-decay groups) inside dispose scopes (no native memory left to the finalizer), then save and reload the
// weights through the project's own safetensors writer and reader.
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.Data;
using InceptionNeXt.Training.Engine;
using InceptionNeXt.Training.TorchModels;
using TorchSharp;
using static TorchSharp.torch;

TorchEngine.Initialize(new TorchEngineOptions { Threads = Environment.ProcessorCount });
manual_seed(0);

// Any registry name works; small images want a smaller stem stride. The model is a torch.nn.Module<Tensor, Tensor>.
using var model = TorchModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 2, StemStride = 2 });
using var optimizer = TorchOptimizers.AdamW(model, learningRate: 1e-3, weightDecay: 0.05);
var (images, labels) = SyntheticStripes.Generate(count: 256, size: 32, seed: 1);

for (var step = 0; step < 20; step++)
{
    using var scope = NewDisposeScope(); // disposes every tensor made in this step
    var start = step * 16 % 256;
    optimizer.zero_grad();
    var loss = nn.functional.cross_entropy(model.call(images.narrow(0, start, 16)), labels.narrow(0, start, 16));
    loss.backward();
    optimizer.step();
    Console.WriteLine($"step {step,2}: loss {loss.item<float>():F4}");
}

var path = Path.Combine(Path.GetTempPath(), "inceptionnext_atto_shapes.safetensors");
Checkpoint.SaveStateDict(path, model.ToStateDict());
using var reloaded = PretrainedWeights.Create("inceptionnext_atto", path, configure: c => c with { StemStride = 2 });
Console.WriteLine($"saved and reloaded {reloaded.ParameterCount():N0} parameters ({reloaded.Config.NumClasses} classes) from {path}");
images.Dispose();
labels.Dispose();
