namespace InceptionNeXt.ML.Imaging;

/// <summary>Which files the project treats as images (the formats <see cref="ImageDecoder"/> reads), found the same way everywhere.</summary>
public static class ImageFiles
{
    private static readonly string[] Extensions = [".jpg", ".jpeg", ".png"];

    /// <summary>True for a <c>.jpg</c>, <c>.jpeg</c> or <c>.png</c> name, in any letter case.</summary>
    public static bool IsImageFile(string path)
    {
        var extension = Path.GetExtension(path);
        return Extensions.Any(e => extension.Equals(e, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Every image file under <paramref name="folder"/>, recursively, in ordinal path order.</summary>
    public static IEnumerable<string> Enumerate(string folder) =>
        Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Where(IsImageFile).Order(StringComparer.Ordinal);
}
