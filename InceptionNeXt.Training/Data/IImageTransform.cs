using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.Training.Data;

/// <summary>Turns a decoded image into a normalised CHW float tensor of a fixed size, drawing randomness only from the given generator.</summary>
public interface IImageTransform
{
    /// <summary>Output side: the tensor is 3 x OutputSize x OutputSize.</summary>
    int OutputSize { get; }

    /// <summary>Transforms <paramref name="image"/> into <paramref name="destination"/> (3 * OutputSize² floats, planes R, G, B).</summary>
    /// <param name="image">The decoded image (not modified).</param>
    /// <param name="rng">The per-sample generator.</param>
    /// <param name="destination">Receives the tensor.</param>
    void Apply(RgbImage image, Random rng, Span<float> destination);
}
