using System.Globalization;

namespace InceptionNeXt.Training.Training;

/// <summary>
/// How many cores other processes leave free right now, for the default libtorch thread count. On Linux it reads the
/// number of runnable threads from <c>/proc/loadavg</c> (the instantaneous count, not the 1-minute average, which still
/// counts a run that has just ended); elsewhere every core counts as free.
/// </summary>
internal static class IdleCores
{
    private const string LoadAverage = "/proc/loadavg";

    /// <summary>The cores not taken by other runnable threads (at least 1), from three readings 5 ms apart.</summary>
    public static int Count()
    {
        var cores = Environment.ProcessorCount;
        if (!OperatingSystem.IsLinux() || !File.Exists(LoadAverage)) return cores;
        var busy = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            if (i > 0) Thread.Sleep(5);
            try
            {
                if (Runnable(File.ReadAllText(LoadAverage)) is { } runnable) busy.Add(runnable);
            }
            catch (IOException)
            {
            }
        }
        if (busy.Count == 0) return cores;
        busy.Sort();
        // The median of the readings; the thread reading /proc/loadavg is one of the runnable ones.
        return Free(cores, busy[busy.Count / 2] - 1);
    }

    /// <summary>The cores left when <paramref name="busy"/> threads of other work are runnable (at least 1).</summary>
    internal static int Free(int cores, int busy) => Math.Max(1, cores - Math.Max(0, busy));

    /// <summary>The runnable count of a <c>/proc/loadavg</c> line ("0.52 0.61 0.70 3/412 12345"), or null.</summary>
    internal static int? Runnable(string line)
    {
        var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 4) return null;
        var slash = fields[3].IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && int.TryParse(fields[3].AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
    }
}
