using InceptionNeXt.Training.LibTorch;

namespace InceptionNeXt.Training.Data;

/// <summary>
/// A generated two-class image problem (filled squares vs. filled discs of random colour, size and position on a
/// noisy background), so demos and tests need no downloaded data.
/// </summary>
public static class SyntheticShapes
{
    /// <summary>Class names by index.</summary>
    public static IReadOnlyList<string> Labels { get; } = ["square", "disc"];

    /// <summary>Generates <paramref name="count"/> normalised RGB images (NCHW float) and their int64 labels.</summary>
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
            var radius = size * (0.18 + 0.14 * rng.NextDouble());
            var cx = radius + rng.NextDouble() * (size - 2 * radius);
            var cy = radius + rng.NextDouble() * (size - 2 * radius);
            var colour = new[] { (float)rng.NextDouble(), (float)rng.NextDouble(), (float)rng.NextDouble() };
            var offset = n * 3 * plane;
            for (var y = 0; y < size; y++)
            for (var x = 0; x < size; x++)
            {
                var dx = x + 0.5 - cx;
                var dy = y + 0.5 - cy;
                var inside = label == 0
                    ? Math.Abs(dx) <= radius * 0.89 && Math.Abs(dy) <= radius * 0.89 // equal area to the disc
                    : dx * dx + dy * dy <= radius * radius;
                for (var c = 0; c < 3; c++)
                {
                    var background = 0.5f + 0.1f * (float)(rng.NextDouble() - 0.5);
                    pixels[offset + c * plane + y * size + x] = (inside ? colour[c] : background) * 2 - 1;
                }
            }
        }
        return (Torch.FromArray(pixels, [count, 3, size, size]), Torch.FromArray(labels, [count]));
    }
}
