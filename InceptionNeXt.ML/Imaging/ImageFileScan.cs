namespace InceptionNeXt.ML.Imaging;

/// <summary>What <see cref="ImageFiles.Scan"/> found under a folder.</summary>
/// <param name="Images">The .jpg, .jpeg and .png files, in ordinal path order.</param>
/// <param name="UnreadImageFiles">Files in other image formats, which are not read, counted by lower-case extension.</param>
public sealed record ImageFileScan(IReadOnlyList<string> Images, IReadOnlyDictionary<string, int> UnreadImageFiles)
{
    /// <summary>
    /// A sentence for logs and errors, such as "8 .webp and 2 .bmp files not read (only .jpg, .jpeg and .png are: convert
    /// them to PNG or JPEG)"; null when there were none.
    /// </summary>
    public string? UnreadSummary => UnreadImageFiles.Values.Sum() switch
    {
        0 => null,
        var n => $"{Join(UnreadImageFiles.Select(u => $"{u.Value} {u.Key}").ToList())} file{(n == 1 ? "" : "s")} not read (only .jpg, .jpeg and .png are: convert {(n == 1 ? "it" : "them")} to PNG or JPEG)",
    };

    private static string Join(List<string> parts) => parts.Count == 1 ? parts[0] : string.Join(", ", parts[..^1]) + " and " + parts[^1];
}
