namespace InceptionNeXt.Training.Data;

/// <summary>Opens a dataset folder by detecting its layout.</summary>
public static class DatasetFactory
{
    /// <summary>The layouts <see cref="Open"/> accepts, for error messages.</summary>
    public const string ExpectedLayouts =
        "expected one of: (1) an MNIST-style folder with train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], "
        + "t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]; (2) an ImageNet-style folder with train/<class>/<image> "
        + "and val/<class>/<image> (or validation/); (3) a single image folder <class>/<image> (split by a validation fraction). "
        + "Images: .jpg, .jpeg, .png.";

    /// <summary>
    /// Detects, in this order: an IDX (MNIST/Fashion-MNIST) folder (train = "train", val = "t10k"); the ImageNet
    /// layout (DIR/train + DIR/val or DIR/validation); a single image folder, split per class by
    /// <paramref name="validationFraction"/> with <paramref name="seed"/> (<see cref="StratifiedSplit"/>).
    /// </summary>
    /// <param name="path">The dataset folder.</param>
    /// <param name="validationFraction">Validation share for a single image folder, in (0, 1).</param>
    /// <param name="seed">Split seed for a single image folder.</param>
    /// <exception cref="DirectoryNotFoundException">The path is not a folder.</exception>
    /// <exception cref="InvalidDataException">No known layout; the message says what was found and what is expected.</exception>
    public static OpenedDatasets Open(string path, double validationFraction = 0.1, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!Directory.Exists(path))
        {
            throw new DirectoryNotFoundException(File.Exists(path)
                ? $"'{path}' is a file; pass the dataset folder ({ExpectedLayouts})"
                : $"Dataset folder '{path}' does not exist.");
        }

        if (IdxDataset.IsIdxFolder(path))
        {
            IReadOnlyList<string> classes = IdxDataset.ClassesForFolder(path);
            IdxDataset train = IdxDataset.OpenFolder(path, "train", classes);
            IdxDataset val = IdxDataset.OpenFolder(path, "t10k", classes);
            string kind = ReferenceEquals(train.Classes, IdxDataset.FashionMnistClasses) ? "Fashion-MNIST"
                : File.Exists(Path.Combine(path, IdxDataset.ClassNamesFile)) ? IdxDataset.ClassNamesFile
                : "numbered";
            return new OpenedDatasets(train, val,
                $"IDX folder {path} ({kind} class names): train {train.Count} and t10k {val.Count} images of {train.Width}x{train.Height}, {train.Classes.Count} classes");
        }

        if (ImageFolderDataset.TryOpenImageNetLayout(path) is { } imagenet)
        {
            return new OpenedDatasets(imagenet.Train, imagenet.Val,
                $"ImageNet layout {path}: train {imagenet.Train.Count} images, {Path.GetFileName(imagenet.Val.Root)} {imagenet.Val.Count} images, {imagenet.Train.Classes.Count} classes"
                + Unread("train", imagenet.Train) + Unread(Path.GetFileName(imagenet.Val.Root), imagenet.Val));
        }

        string[] subdirs = Directory.GetDirectories(path);
        // Stops at the first class folder with images (a second full walk of a large dataset would only repeat the next).
        bool hasImages = subdirs.Any(d => InceptionNeXt.ML.Imaging.ImageFiles.Scan(d).Images.Count > 0);
        if (hasImages)
        {
            if (!(validationFraction > 0 && validationFraction < 1))
            {
                throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction,
                    $"'{path}' is a single image folder; a validation fraction in (0, 1) is needed to split it.");
            }

            var all = new ImageFolderDataset(path);
            (SubsetDataset train, SubsetDataset val) = StratifiedSplit.Split(all, validationFraction, seed);
            return new OpenedDatasets(train, val,
                $"Image folder {path}: {all.Count} images, {all.Classes.Count} classes, split per class {1 - validationFraction:0.###}/{validationFraction:0.###} (seed {seed}): train {train.Count}, val {val.Count}"
                + Unread(null, all));
        }

        string[] files = Directory.GetFiles(path);
        string hint = IdxHint(path, files);
        throw new InvalidDataException(
            $"'{path}': no known dataset layout. Found {files.Length} file(s)"
            + (files.Length > 0 ? $" (e.g. {string.Join(", ", files.Take(4).Select(Path.GetFileName))})" : string.Empty)
            + $" and {subdirs.Length} subfolder(s) without .jpg/.jpeg/.png images{hint}"
            + (subdirs.Sum(d => InceptionNeXt.ML.Imaging.ImageFiles.Scan(d).UnreadImageFiles.Values.Sum()) is var unread and > 0
                ? $" ({unread} file(s) in other image formats, not read: convert them to PNG or JPEG)" : "")
            + $"; {ExpectedLayouts}");
    }

    private static string Unread(string? split, ImageFolderDataset dataset)
        => dataset.UnreadImageFiles is { } unread ? $"; {(split is null ? "" : split + ": ")}{unread}" : "";

    private static string IdxHint(string path, string[] files)
    {
        bool anyIdx = files.Any(f => Path.GetFileName(f).Contains("-ubyte", StringComparison.Ordinal));
        if (!anyIdx)
        {
            return string.Empty;
        }

        var missing = new List<string>();
        foreach (string split in new[] { "train", "t10k" })
        {
            if (IdxDataset.FindSplit(path, split) is null)
            {
                missing.Add(split);
            }
        }

        return $" (IDX files present but the {string.Join(" and ", missing)} image/label pair is incomplete)";
    }
}
