namespace InceptionNeXt.Training.TorchTraining;

/// <summary>
/// The exclusive lock a training run holds on its output folder: the file <see cref="FileName"/> there, open with
/// <see cref="FileShare.None"/> (an OS lock, flock on Linux and macOS), so that a second run into the folder fails at
/// once, and a run that is killed leaves nothing that blocks the next one (the kernel drops the lock with the process).
/// </summary>
internal sealed class OutputLock : IDisposable
{
    /// <summary>The lock file's name in the output folder.</summary>
    public const string FileName = "train.lock";

    private readonly FileStream stream;

    private OutputLock(FileStream stream) => this.stream = stream;

    /// <summary>Takes the lock on <paramref name="folder"/> (which must exist).</summary>
    /// <exception cref="IOException">Another run (in this or another process) holds it; the message names the folder.</exception>
    public static OutputLock Acquire(string folder)
    {
        var path = Path.Combine(folder, FileName);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not (FileNotFoundException or DirectoryNotFoundException or PathTooLongException))
        {
            throw new IOException($"--output {folder} is in use by another training run (it holds {path}); wait for that run to end or choose another --output.", e);
        }
        try
        {
            // For people looking at the folder; the lock itself is the open file, not its content.
            stream.SetLength(0);
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write($"pid {Environment.ProcessId}, started {DateTime.UtcNow:O}\n");
        }
        catch (IOException)
        {
            // The content is informative only.
        }
        return new OutputLock(stream);
    }

    /// <summary>Releases the lock.</summary>
    public void Dispose() => stream.Dispose();
}
