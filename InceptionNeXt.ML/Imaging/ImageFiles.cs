using System.Runtime.InteropServices;

namespace InceptionNeXt.ML.Imaging;

/// <summary>Which files the project treats as images (the formats <see cref="ImageDecoder"/> reads), found the same way everywhere.</summary>
public static partial class ImageFiles
{
    private static readonly string[] Extensions = [".jpg", ".jpeg", ".png"];

    // Other image formats' extensions: such files are not read (nor by timm's folder reader), but counted, so that a
    // folder of WebP or BMP files is not silently taken for an empty or smaller one.
    private static readonly HashSet<string> OtherImageExtensions = new(StringComparer.OrdinalIgnoreCase)
    {
        ".webp", ".bmp", ".dib", ".gif", ".tif", ".tiff", ".heic", ".heif", ".avif", ".jfif", ".jpe", ".jp2", ".jxl", ".ppm", ".pgm", ".pbm", ".ico",
    };

    /// <summary>Deeper folders than this are not entered (a last guard; real datasets are a few levels deep).</summary>
    private const int MaxDepth = 256;

    /// <summary>True for a <c>.jpg</c>, <c>.jpeg</c> or <c>.png</c> name, in any letter case.</summary>
    public static bool IsImageFile(string path)
    {
        var extension = Path.GetExtension(path);
        return Extensions.Any(e => extension.Equals(e, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>
    /// Every image file under <paramref name="folder"/>, recursively, in ordinal path order. Symbolic links to folders are
    /// followed, but each real folder is read once: a link back to an ancestor (a loop) or a second link to a folder
    /// already read is skipped, so no image is listed twice through folder links.
    /// </summary>
    public static IEnumerable<string> Enumerate(string folder) => Scan(folder).Images;

    /// <summary>
    /// <see cref="Enumerate"/>'s images, and a count of the files under <paramref name="folder"/> in other image formats
    /// (.webp, .bmp, .gif, .tif, .heic, ...), which are not read.
    /// </summary>
    public static ImageFileScan Scan(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var files = new List<string>();
        var unread = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var visited = new HashSet<string>(OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal);
        Walk(new DirectoryInfo(folder), 0, visited, files, unread);
        files.Sort(StringComparer.Ordinal);
        return new ImageFileScan(files, unread);
    }

    private static void Walk(DirectoryInfo directory, int depth, HashSet<string> visited, List<string> files, SortedDictionary<string, int> unread)
    {
        if (depth > MaxDepth || !visited.Add(RealPath(directory))) return;
        foreach (var entry in directory.EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            if (entry is DirectoryInfo child) Walk(child, depth + 1, visited, files, unread);
            else if (IsImageFile(entry.Name)) files.Add(entry.FullName);
            else if (OtherImageExtensions.Contains(Path.GetExtension(entry.Name)))
            {
                var extension = Path.GetExtension(entry.Name).ToLowerInvariant();
                unread[extension] = unread.GetValueOrDefault(extension) + 1;
            }
        }
    }

    /// <summary>The folder's canonical path, every symbolic link along it resolved, so two names of one folder compare equal.</summary>
    private static string RealPath(DirectoryInfo directory)
    {
        if (!OperatingSystem.IsWindows())
        {
            var resolved = RealPathNative(directory.FullName, 0);
            if (resolved != 0)
            {
                try
                {
                    return Marshal.PtrToStringUTF8(resolved)!;
                }
                finally
                {
                    Free(resolved);
                }
            }
        }
        // Windows (and a failed realpath): the link's final target; a link in a parent folder is then not resolved, which the
        // depth limit still bounds.
        return (directory.ResolveLinkTarget(returnFinalTarget: true) ?? directory).FullName.TrimEnd(Path.DirectorySeparatorChar);
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);
}
