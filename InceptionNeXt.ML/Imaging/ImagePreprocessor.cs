using System.Buffers;
using System.Runtime.CompilerServices;

namespace InceptionNeXt.ML.Imaging;

/// <summary>
/// Turns images into model input tensors (float32, CHW, 3 x InputSize x InputSize) exactly like timm's
/// evaluation transform run through torchvision on PIL images (see <see cref="PreprocessOptions"/>).
/// Immutable and thread-safe; intermediate buffers are pooled, and only the cropped window of the resize
/// is computed (it equals the same pixels of a full resize followed by a crop).
/// </summary>
public sealed class ImagePreprocessor
{
    private readonly float[] _lut; // 3 x 256: channel c, byte v -> tensor value

    /// <summary>Creates a preprocessor.</summary>
    /// <param name="options">The transform; <see cref="PreprocessOptions.Default"/> when null.</param>
    /// <param name="decoder">The decoder for the path/bytes overloads; <see cref="ImageDecoder.Default"/> when null.</param>
    public ImagePreprocessor(PreprocessOptions? options = null, ImageDecoder? decoder = null)
    {
        Options = options ?? PreprocessOptions.Default;
        Options.Validate();
        Decoder = decoder ?? ImageDecoder.Default;
        _lut = new float[3 * 256];
        for (int c = 0; c < 3; c++)
        {
            float mean = Options.Mean[c], std = Options.Std[c];
            for (int v = 0; v < 256; v++)
            {
                // torchvision: ToTensor divides by 255 in float32, Normalize does (x - mean) / std in float32.
                _lut[(c * 256) + v] = Options.Normalize ? ((v / 255f) - mean) / std : v;
            }
        }
    }

    /// <summary>The transform settings.</summary>
    public PreprocessOptions Options { get; }

    /// <summary>The decoder the path and byte overloads use.</summary>
    public ImageDecoder Decoder { get; }

    /// <summary>Elements of one tensor: 3 * InputSize * InputSize.</summary>
    public int TensorLength => 3 * Options.InputSize * Options.InputSize;

    /// <summary>Decodes a file and returns its tensor.</summary>
    /// <param name="path">A JPEG or PNG file.</param>
    /// <exception cref="InvalidImageException">The file is not a decodable image.</exception>
    public float[] Preprocess(string path)
    {
        var tensor = new float[TensorLength];
        Preprocess(path, tensor);
        return tensor;
    }

    /// <summary>Decodes a file into <paramref name="destination"/> (CHW, <see cref="TensorLength"/> floats).</summary>
    /// <param name="path">A JPEG or PNG file.</param>
    /// <param name="destination">Receives the tensor, e.g. one slot of a batch buffer.</param>
    /// <exception cref="InvalidImageException">The file is not a decodable image.</exception>
    public void Preprocess(string path, Span<float> destination) => ToTensor(Decoder.Decode(path), destination);

    /// <summary>Decodes an in-memory file into <paramref name="destination"/>.</summary>
    /// <param name="data">The JPEG or PNG file contents.</param>
    /// <param name="destination">Receives the tensor (CHW, <see cref="TensorLength"/> floats).</param>
    /// <param name="nameForErrors">Name used in error messages.</param>
    /// <exception cref="InvalidImageException">The data is not a decodable image.</exception>
    public void Preprocess(ReadOnlySpan<byte> data, Span<float> destination, string? nameForErrors = null)
        => ToTensor(Decoder.Decode(data, nameForErrors), destination);

    /// <summary>Resize, center-crop and convert a decoded image; returns a new tensor.</summary>
    /// <param name="image">The decoded image.</param>
    public float[] ToTensor(RgbImage image)
    {
        var tensor = new float[TensorLength];
        ToTensor(image, tensor);
        return tensor;
    }

    /// <summary>
    /// Resize, center-crop and convert a decoded image into <paramref name="destination"/> (CHW, planes R, G, B,
    /// <see cref="TensorLength"/> floats), normalised or 0..255 as <see cref="PreprocessOptions.Normalize"/> says.
    /// </summary>
    /// <param name="image">The decoded image.</param>
    /// <param name="destination">Receives the tensor.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public unsafe void ToTensor(RgbImage image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        int s = Options.InputSize;
        int plane = s * s;
        if (destination.Length < 3 * plane)
        {
            throw new ArgumentException($"Destination needs {3 * plane} floats, got {destination.Length}.", nameof(destination));
        }

        byte[] crop = ArrayPool<byte>.Shared.Rent(3 * plane);
        try
        {
            ResizeAndCrop(image, crop.AsSpan(0, 3 * plane));
            fixed (byte* px = crop)
            fixed (float* lut = _lut)
            fixed (float* dst = destination)
            {
                float* r = dst, g = dst + plane, b = dst + (2 * plane);
                float* lr = lut, lg = lut + 256, lb = lut + 512;
                byte* p = px;
                for (int i = 0; i < plane; i++, p += 3)
                {
                    r[i] = lr[p[0]];
                    g[i] = lg[p[1]];
                    b[i] = lb[p[2]];
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(crop);
        }
    }

    /// <summary>The resized and center-cropped 8-bit image (InputSize x InputSize), before tensor conversion.</summary>
    /// <param name="image">The decoded image.</param>
    public RgbImage ResizeAndCrop(RgbImage image)
    {
        var result = new RgbImage(Options.InputSize, Options.InputSize);
        ResizeAndCrop(image, result.Pixels);
        return result;
    }

    /// <summary>
    /// torchvision's <c>Resize(int)</c> output size: the shorter side becomes <paramref name="size"/> and the
    /// longer one <c>int(size * long / short)</c> (truncated).
    /// </summary>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="size">Target shorter side.</param>
    public static (int Width, int Height) ComputeResizedSize(int width, int height, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (width <= height)
        {
            return (size, (int)((double)size * height / width));
        }

        return ((int)((double)size * width / height), size);
    }

    /// <summary>
    /// torchvision's <c>CenterCrop</c> offset along one axis: <c>int(round((length - crop) / 2.0))</c> with
    /// Python's round-half-to-even, or, when the crop is larger, minus the zero padding torchvision adds before
    /// the crop (<c>(crop - length) // 2</c>).
    /// </summary>
    /// <param name="length">Image extent along the axis.</param>
    /// <param name="crop">Crop extent along the axis.</param>
    public static int ComputeCropOffset(int length, int crop)
        => crop > length ? -((crop - length) / 2) : (int)Math.Round((length - crop) / 2.0, MidpointRounding.ToEven);

    private void ResizeAndCrop(RgbImage image, Span<byte> destination)
    {
        int s = Options.InputSize;
        (int rw, int rh) = ComputeResizedSize(image.Width, image.Height, Options.ResizeSize);
        int left = ComputeCropOffset(rw, s), top = ComputeCropOffset(rh, s);

        // The part of the crop that lies on the resized image; the rest is torchvision's zero padding.
        int x0 = Math.Max(left, 0), y0 = Math.Max(top, 0);
        int x1 = Math.Min(left + s, rw), y1 = Math.Min(top + s, rh);
        bool padded = x0 != left || y0 != top || x1 != left + s || y1 != top + s;
        if (!padded)
        {
            ImageResizer.ResizeWindow(image, rw, rh, Options.Interpolation, ResizeBox.Full(image.Width, image.Height), x0, y0, s, s, destination);
            return;
        }

        destination.Clear();
        int ww = x1 - x0, wh = y1 - y0;
        if (ww <= 0 || wh <= 0)
        {
            return;
        }

        byte[] window = ArrayPool<byte>.Shared.Rent(ww * wh * 3);
        try
        {
            ImageResizer.ResizeWindow(image, rw, rh, Options.Interpolation, ResizeBox.Full(image.Width, image.Height), x0, y0, ww, wh, window);
            for (int y = 0; y < wh; y++)
            {
                window.AsSpan(y * ww * 3, ww * 3).CopyTo(destination.Slice((((y0 - top + y) * s) + (x0 - left)) * 3));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(window);
        }
    }
}
