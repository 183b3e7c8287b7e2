namespace InceptionNeXt.Training.Checkpoints;

/// <summary>
/// Builds the exceptions of the checkpoint readers: <see cref="InvalidDataException"/> (sealed in the BCL, so no
/// dedicated subclass) whose message is "PATH: what is wrong".
/// </summary>
internal static class CheckpointErrors
{
    public static InvalidDataException Format(string path, string problem, Exception? inner = null) =>
        new($"{path}: {problem}", inner);

    public static FileNotFoundException NotFound(string path) =>
        new($"{path}: checkpoint file not found.", path);

    public static void EnsureExists(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw NotFound(path);
        }
    }
}
