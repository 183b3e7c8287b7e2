using InceptionNeXt.ML.Imaging;
using InceptionNeXt.ML.MLNet;

// In ML.NET's namespace, as InceptionNeXtCatalog: `using Microsoft.ML;` shows it on mlContext.Data.
namespace Microsoft.ML;

/// <summary>Loads an image folder laid out as ML.NET's image classification samples expect: one subfolder per label.</summary>
public static class ImageFolderCatalog
{
    /// <summary>
    /// Every <c>.jpg</c>, <c>.jpeg</c> and <c>.png</c> file under <paramref name="folder"/> as rows of
    /// <see cref="ImageFolderRow"/>: <c>ImagePath</c> (full path) and <c>Label</c> (the top subfolder's name), in ordinal
    /// path order. The images are not read here; the featurizer or scorer reads them.
    /// </summary>
    /// <param name="catalog">The data catalog.</param>
    /// <param name="folder">The folder: one subfolder per label, images in them (or deeper).</param>
    /// <exception cref="DirectoryNotFoundException">No folder at <paramref name="folder"/>.</exception>
    /// <exception cref="ArgumentException">The folder holds no images, or images directly inside it (without a label).</exception>
    public static IDataView LoadFromImageFolder(this DataOperationsCatalog catalog, string folder)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.LoadFromEnumerable(ReadImageFolder(folder));
    }

    /// <summary>The rows <see cref="LoadFromImageFolder"/> loads, as a list (for code that needs them before ML.NET does).</summary>
    /// <param name="folder">The folder: one subfolder per label, images in them (or deeper).</param>
    /// <exception cref="DirectoryNotFoundException">No folder at <paramref name="folder"/>.</exception>
    /// <exception cref="ArgumentException">The folder holds no images, or images directly inside it (without a label).</exception>
    public static IReadOnlyList<ImageFolderRow> ReadImageFolder(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Image folder {folder} does not exist.");
        var root = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        var scan = ImageFiles.Scan(root);
        var files = scan.Images;
        if (files.Count == 0)
            throw new ArgumentException($"{folder} holds no images (.jpg, .jpeg, .png); put them in one subfolder per label."
                + (scan.UnreadSummary is { } unread ? $" It has {unread}." : ""), nameof(folder));
        var loose = files.Where(f => Path.GetDirectoryName(f) == root).ToArray();
        if (loose.Length > 0)
            throw new ArgumentException($"{folder} has {loose.Length} image(s) directly inside it (e.g. {Path.GetFileName(loose[0])}); every image must be in a subfolder named after its label.", nameof(folder));
        return files.Select(f => new ImageFolderRow { ImagePath = f, Label = Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar)[0] }).ToArray();
    }
}
