using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.ML.Inference;

/// <summary>One image to run: a file, encoded bytes (from memory or a stream) or already-decoded pixels.</summary>
public readonly struct ImageInput
{
    private readonly string? path;
    private readonly ReadOnlyMemory<byte> bytes;
    private readonly RgbImage? image;
    private readonly InvalidImageException? error;

    private ImageInput(string name, string? path, ReadOnlyMemory<byte> bytes, RgbImage? image, InvalidImageException? error = null)
    {
        Name = name;
        this.path = path;
        this.bytes = bytes;
        this.image = image;
        this.error = error;
    }

    /// <summary>How results and errors refer to this image (the path for files).</summary>
    public string Name { get; }

    /// <summary>The file this input reads, or null for bytes and pixels.</summary>
    public string? FilePath => path;

    /// <summary>Encoded bytes (empty for files and pixels).</summary>
    internal ReadOnlyMemory<byte> EncodedBytes => bytes;

    /// <summary>Decoded pixels, or null.</summary>
    internal RgbImage? Pixels => image;

    /// <summary>Why this input has no image (a row without one), or null.</summary>
    internal InvalidImageException? Error => error;

    /// <summary>A JPEG or PNG file.</summary>
    public static ImageInput FromFile(string path) => new(path, path, default, null);

    /// <summary>Encoded JPEG or PNG bytes.</summary>
    public static ImageInput FromBytes(ReadOnlyMemory<byte> data, string name = "image") => new(name, null, data, null);

    /// <summary>Reads an encoded image from a stream (now; the stream may be closed afterwards).</summary>
    public static ImageInput FromStream(Stream stream, string name = "stream")
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return new(name, null, copy.ToArray(), null);
    }

    /// <summary>Decoded RGB pixels.</summary>
    public static ImageInput FromImage(RgbImage image, string name = "image") => new(name, null, default, image);

    /// <summary>
    /// An input already known to be unreadable (an ML.NET row without an image): it takes its place in a batch and comes
    /// back with <paramref name="error"/>, so results stay in input order.
    /// </summary>
    internal static ImageInput FromError(string name, InvalidImageException error) => new(name, null, default, null, error);

    /// <summary>Implicit conversion from a file path.</summary>
    public static implicit operator ImageInput(string path) => FromFile(path);

    internal void PreprocessInto(ImagePreprocessor preprocessor, Span<float> destination)
    {
        if (error is not null) throw error;
        if (image is not null) preprocessor.ToTensor(image, destination);
        else if (path is not null) preprocessor.Preprocess(path, destination);
        else preprocessor.Preprocess(bytes.Span, destination, Name);
    }
}
