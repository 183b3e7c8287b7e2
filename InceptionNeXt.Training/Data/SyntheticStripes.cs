using InceptionNeXt.Training.Engine;
using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.Data;

/// <summary>
/// A generated image problem: horizontal vs. vertical stripes of random period, phase and colours under noise,
/// so demos and tests need no downloaded data. Orientation is exactly what InceptionNeXt's 1xk and kx1 band
/// kernels see, and it cannot be solved from colour statistics alone.
/// </summary>
public static class SyntheticStripes
{
    /// <summary>Class names by index.</summary>
    public static IReadOnlyList<string> Labels { get; } = ["horizontal", "vertical"];

    /// <summary>Generates <paramref name="count"/> RGB images scaled to [-1, 1] (NCHW float) and their int64 labels, as TorchSharp tensors.</summary>
    public static (Tensor Images, Tensor Labels) Generate(int count, int size, int seed)
    {
        var rng = new Random(seed);
        var pixels = new float[count * 3 * size * size];
        var labels = new long[count];
        var plane = size * size;
        for (var n = 0; n < count; n++)
        {
            var label = rng.Next(2);
            labels[n] = label;
            var period = 3 + 6 * rng.NextDouble();
            var phase = period * rng.NextDouble();
            var on = new[] { rng.NextSingle(), rng.NextSingle(), rng.NextSingle() };
            var off = new[] { rng.NextSingle(), rng.NextSingle(), rng.NextSingle() };
            var offset = n * 3 * plane;
            for (var y = 0; y < size; y++)
            for (var x = 0; x < size; x++)
            {
                var coordinate = (label == 0 ? y : x) + 0.5 + phase;
                var stripe = coordinate % period < period / 2;
                for (var c = 0; c < 3; c++)
                {
                    var noise = 0.15f * (rng.NextSingle() - 0.5f);
                    pixels[offset + c * plane + y * size + x] = ((stripe ? on[c] : off[c]) + noise) * 2 - 1;
                }
            }
        }
        TorchEngine.EnsureInitialized();
        return (tensor(pixels, [count, 3, size, size]), tensor(labels, [count]));
    }
}
