namespace InceptionNeXt.ML.Imaging;

/// <summary>
/// Thrown when a file or buffer is not a decodable JPEG or PNG image: empty, truncated, corrupt, of another
/// format, or declaring more pixels than <see cref="ImageDecoder.MaxPixels"/> allows. The message starts with the
/// file name (or the name given for a buffer or stream) and says what is wrong.
/// </summary>
public sealed class InvalidImageException : IOException
{
    /// <summary>Creates the exception with a message that should start with <paramref name="imageName"/>.</summary>
    /// <param name="imageName">The file path or name the caller gave for the data.</param>
    /// <param name="message">The full message.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public InvalidImageException(string imageName, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ImageName = imageName;
    }

    /// <summary>The file path or the name given for the data.</summary>
    public string ImageName { get; }

    /// <summary>Builds the standard message <c>"{name}: {problem}"</c>.</summary>
    internal static InvalidImageException Create(string imageName, string problem, Exception? inner = null)
        => new(imageName, $"{imageName}: {problem}", inner);
}
