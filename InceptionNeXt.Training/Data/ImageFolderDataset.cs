using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.Training.Data;

/// <summary>
/// torchvision/timm "ImageFolder" layout: <c>root/&lt;class&gt;/**/&lt;image&gt;</c>. Classes are the immediate
/// subfolders sorted ordinally (label = position), files are found recursively below each class folder and sorted
/// ordinally by their path relative to the root, so indices are stable. Only <c>.jpg</c>, <c>.jpeg</c> and
/// <c>.png</c> (any case) are taken; other files are ignored. Images are decoded on demand with
/// <see cref="ImageDecoder"/> (EXIF orientation applied).
/// </summary>
public sealed class ImageFolderDataset : IImageDataset
{
    private readonly string[] _files;
    private readonly int[] _labels;
    private readonly ImageDecoder _decoder;

    /// <summary>Scans <paramref name="root"/>.</summary>
    /// <param name="root">The folder holding one subfolder per class.</param>
    /// <param name="classes">
    /// The class list to use (e.g. the training split's, so a validation folder gets the same indices); every class
    /// subfolder must then be in the list, and listed classes may be missing. Null: the sorted subfolders.
    /// </param>
    /// <param name="decoder">The decoder; null for <see cref="ImageDecoder.Default"/>.</param>
    /// <exception cref="DirectoryNotFoundException">The root does not exist.</exception>
    /// <exception cref="InvalidDataException">A subfolder is not in <paramref name="classes"/>, or no image was found.</exception>
    public ImageFolderDataset(string root, IReadOnlyList<string>? classes = null, ImageDecoder? decoder = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"Image folder '{root}' does not exist.");
        }

        Root = Path.GetFullPath(root);
        _decoder = decoder ?? ImageDecoder.Default;
        string[] classDirs = Directory.GetDirectories(Root).Select(Path.GetFileName).Select(n => n!).Order(StringComparer.Ordinal).ToArray();
        Classes = classes is null ? classDirs : classes.ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Classes.Count; i++)
        {
            index[Classes[i]] = i;
        }

        foreach (string name in classDirs)
        {
            if (!index.ContainsKey(name))
            {
                throw new InvalidDataException($"Image folder '{Root}': subfolder '{name}' is not one of the {Classes.Count} known classes (from the training split).");
            }
        }

        // One walk over the whole root, so a folder reached twice through symbolic links (a loop, or two class folders
        // linking to one) is read once; each image's class is its top-level folder.
        var files = new List<(string Path, int Label)>();
        ImageFileScan scan = ImageFiles.Scan(Root);
        UnreadImageFiles = scan.UnreadSummary;
        foreach (string file in scan.Images)
        {
            string relative = Path.GetRelativePath(Root, file);
            int separator = relative.IndexOfAny([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar]);
            if (separator > 0 && index.TryGetValue(relative[..separator], out int label))
            {
                files.Add((file, label));
            }
        }

        if (files.Count == 0)
        {
            throw new InvalidDataException(
                $"Image folder '{Root}': no .jpg/.jpeg/.png images found in {classDirs.Length} class subfolder(s); expected root/<class>/<image>."
                + (UnreadImageFiles is { } unread ? $" It has {unread}." : ""));
        }

        _files = files.Select(f => f.Path).ToArray();
        _labels = files.Select(f => f.Label).ToArray();
    }

    /// <summary>The absolute root folder.</summary>
    public string Root { get; }

    /// <summary>Files in other image formats under <see cref="Root"/>, which are not read (<see cref="ImageFileScan.UnreadSummary"/>); null when none.</summary>
    public string? UnreadImageFiles { get; }

    /// <inheritdoc />
    public int Count => _files.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The image files, in index order.</summary>
    public IReadOnlyList<string> Files => _files;

    /// <summary>Whether <paramref name="path"/> has an image extension this dataset reads (.jpg, .jpeg, .png; any case).</summary>
    /// <param name="path">A file path.</param>
    public static bool IsImageFile(string path)
        => ImageFiles.IsImageFile(path);

    /// <summary>
    /// The ImageNet layout: when <paramref name="directory"/> holds <c>train/</c> and <c>val/</c> (or
    /// <c>validation/</c>), both as image folders with the training split's classes; otherwise null.
    /// </summary>
    /// <param name="directory">The dataset root.</param>
    public static (ImageFolderDataset Train, ImageFolderDataset Val)? TryOpenImageNetLayout(string directory)
    {
        string train = Path.Combine(directory, "train");
        string? val = new[] { "val", "validation" }.Select(n => Path.Combine(directory, n)).FirstOrDefault(Directory.Exists);
        if (!Directory.Exists(train) || val is null)
        {
            return null;
        }

        var trainSet = new ImageFolderDataset(train);
        return (trainSet, new ImageFolderDataset(val, trainSet.Classes));
    }

    /// <inheritdoc />
    public int GetLabel(int index) => _labels[index];

    /// <inheritdoc />
    public string GetName(int index) => _files[index];

    /// <inheritdoc />
    public RgbImage Load(int index) => _decoder.Decode(_files[index]);
}
