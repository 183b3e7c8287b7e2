using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.Training.Data;

/// <summary>
/// MNIST / Fashion-MNIST from a pair of IDX files (images <c>N x H x W</c> unsigned bytes, labels <c>N</c>),
/// held in memory; grayscale pixels are replicated to RGB. <see cref="Load"/> never fails.
/// </summary>
public sealed class IdxDataset : IImageDataset
{
    private readonly byte[] _pixels;
    private readonly byte[] _labels;

    /// <summary>Fashion-MNIST's class names by label.</summary>
    public static IReadOnlyList<string> FashionMnistClasses { get; } =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>MNIST's class names ("0" .. "9").</summary>
    public static IReadOnlyList<string> DigitClasses { get; } = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

    /// <summary>
    /// The file beside the IDX files that names their classes, one name per line in label order (blank lines ignored):
    /// IDX files carry labels only.
    /// </summary>
    public const string ClassNamesFile = "classes.txt";

    /// <summary>Reads an image file and a label file.</summary>
    /// <param name="imagesPath">IDX3 images (magic 0x00000803), raw or gzip.</param>
    /// <param name="labelsPath">IDX1 labels (magic 0x00000801), raw or gzip.</param>
    /// <param name="classes">
    /// Class names; null for the label numbers: <see cref="DigitClasses"/>, extended ("10", "11", ...) when a label is
    /// higher (EMNIST, say). Every label must index into it.
    /// </param>
    /// <exception cref="InvalidDataException">A malformed file, a count mismatch, or a label out of range.</exception>
    public IdxDataset(string imagesPath, string labelsPath, IReadOnlyList<string>? classes = null)
    {
        ArgumentNullException.ThrowIfNull(imagesPath);
        ArgumentNullException.ThrowIfNull(labelsPath);
        (int[] imageDims, _pixels) = IdxFile.Read(imagesPath, 3);
        (int[] labelDims, _labels) = IdxFile.Read(labelsPath, 1);
        if (imageDims[0] != labelDims[0])
        {
            throw new InvalidDataException(
                $"{imagesPath} holds {imageDims[0]} images but {labelsPath} holds {labelDims[0]} labels.");
        }

        if (imageDims[1] < 1 || imageDims[2] < 1)
        {
            throw new InvalidDataException($"{imagesPath}: empty image size {imageDims[1]}x{imageDims[2]}.");
        }

        Classes = classes ?? NumberedClasses(_labels.Length == 0 ? 0 : _labels.Max() + 1);
        for (int i = 0; i < _labels.Length; i++)
        {
            if (_labels[i] >= Classes.Count)
            {
                throw new InvalidDataException($"{labelsPath}: label {_labels[i]} of sample {i} is outside the {Classes.Count} classes.");
            }
        }

        ImagesPath = imagesPath;
        Height = imageDims[1];
        Width = imageDims[2];
    }

    /// <summary>The image file.</summary>
    public string ImagesPath { get; }

    /// <summary>Image height (28 for MNIST).</summary>
    public int Height { get; }

    /// <summary>Image width (28 for MNIST).</summary>
    public int Width { get; }

    /// <inheritdoc />
    public int Count => _labels.Length;

    /// <inheritdoc />
    public IReadOnlyList<string> Classes { get; }

    /// <summary>
    /// Finds the split's files in <paramref name="directory"/>: <c>{split}-images-idx3-ubyte</c> and
    /// <c>{split}-labels-idx1-ubyte</c>, each optionally with <c>.gz</c> (also the <c>.</c> variant
    /// <c>train-images.idx3-ubyte</c>); null when either is missing.
    /// </summary>
    /// <param name="directory">The folder.</param>
    /// <param name="split">"train" or "t10k".</param>
    public static (string Images, string Labels)? FindSplit(string directory, string split)
    {
        string? images = FindFile(directory, split, "images", "idx3");
        string? labels = FindFile(directory, split, "labels", "idx1");
        return images is null || labels is null ? null : (images, labels);
    }

    /// <summary>Whether <paramref name="directory"/> holds both the "train" and "t10k" IDX splits.</summary>
    /// <param name="directory">The folder.</param>
    public static bool IsIdxFolder(string directory)
        => Directory.Exists(directory) && FindSplit(directory, "train") is not null && FindSplit(directory, "t10k") is not null;

    /// <summary>Opens one split of an MNIST-style folder.</summary>
    /// <param name="directory">The folder.</param>
    /// <param name="split">"train" or "t10k".</param>
    /// <param name="classes">The class names; null for <see cref="ClassesForFolder"/> (pass them to open both splits with one reading).</param>
    /// <exception cref="FileNotFoundException">The split's files are missing.</exception>
    public static IdxDataset OpenFolder(string directory, string split, IReadOnlyList<string>? classes = null)
    {
        (string Images, string Labels) files = FindSplit(directory, split)
            ?? throw new FileNotFoundException(
                $"'{directory}' has no {split}-images-idx3-ubyte[.gz] and {split}-labels-idx1-ubyte[.gz] pair.");
        return new IdxDataset(files.Images, files.Labels, classes ?? ClassesForFolder(directory));
    }

    /// <summary>
    /// The class names <see cref="OpenFolder"/> uses for <paramref name="directory"/>, the same for both splits. IDX files
    /// carry no names, so: the lines of <see cref="ClassNamesFile"/> in the folder when there is one; else
    /// <see cref="FashionMnistClasses"/> when the folder's full path contains "fashion" (case-insensitive) and the labels
    /// fit them; else the label numbers, "0" up to the highest label of either split (at least <see cref="DigitClasses"/>).
    /// </summary>
    /// <param name="directory">The folder.</param>
    /// <exception cref="InvalidDataException"><see cref="ClassNamesFile"/> is empty or names a class twice.</exception>
    public static IReadOnlyList<string> ClassesForFolder(string directory)
    {
        string namesFile = Path.Combine(directory, ClassNamesFile);
        if (File.Exists(namesFile))
        {
            string[] names = File.ReadAllLines(namesFile).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
            if (names.Length == 0) throw new InvalidDataException($"{namesFile} names no class: write one name per line, in label order.");
            if (names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
                throw new InvalidDataException($"{namesFile} names the class '{twice.Key}' twice.");
            return names;
        }

        int count = 0;
        foreach (string split in (string[])["train", "t10k"])
        {
            if (FindSplit(directory, split) is { } files && IdxFile.Read(files.Labels, 1).Data is { Length: > 0 } labels)
                count = Math.Max(count, labels.Max() + 1);
        }

        return Path.GetFullPath(directory).Contains("fashion", StringComparison.OrdinalIgnoreCase) && count <= FashionMnistClasses.Count
            ? FashionMnistClasses
            : NumberedClasses(count);
    }

    /// <summary><see cref="DigitClasses"/>, or "0" .. "<paramref name="count"/> - 1" when there are more.</summary>
    private static IReadOnlyList<string> NumberedClasses(int count)
        => count <= DigitClasses.Count ? DigitClasses : Enumerable.Range(0, count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <inheritdoc />
    public int GetLabel(int index) => _labels[index];

    /// <inheritdoc />
    public string GetName(int index) => $"{ImagesPath}#{index}";

    /// <inheritdoc />
    public RgbImage Load(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        int plane = Width * Height;
        var image = new RgbImage(Width, Height);
        byte[] dst = image.Pixels;
        ReadOnlySpan<byte> src = _pixels.AsSpan(index * plane, plane);
        for (int i = 0; i < plane; i++)
        {
            byte v = src[i];
            dst[3 * i] = v;
            dst[(3 * i) + 1] = v;
            dst[(3 * i) + 2] = v;
        }

        return image;
    }

    /// <summary>The raw grayscale pixels of sample <paramref name="index"/> (H x W, row-major).</summary>
    /// <param name="index">Sample index.</param>
    public ReadOnlySpan<byte> GetGrayPixels(int index) => _pixels.AsSpan(index * Width * Height, Width * Height);

    private static string? FindFile(string directory, string split, string kind, string idx)
    {
        foreach (string stem in new[] { $"{split}-{kind}-{idx}-ubyte", $"{split}-{kind}.{idx}-ubyte" })
        {
            foreach (string name in new[] { stem, stem + ".gz" })
            {
                string p = Path.Combine(directory, name);
                if (File.Exists(p))
                {
                    return p;
                }
            }
        }

        return null;
    }
}
