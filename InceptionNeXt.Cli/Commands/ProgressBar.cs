using System.Diagnostics;
using System.Globalization;
using InceptionNeXt.Training.Training;

namespace InceptionNeXt.Cli.Commands;

/// <summary>
/// A one-line progress bar for a terminal (epoch, bar, loss, lr, img/s, time), redrawn at most 10 times a second;
/// other lines are printed above it. Only used when stdout is a terminal: logs keep plain lines.
/// </summary>
internal sealed class ProgressBar
{
    private readonly Stopwatch sinceDraw = Stopwatch.StartNew();
    private readonly object gate = new();
    private string current = "";

    public void Update(TrainingStep s)
    {
        lock (gate)
        {
            if (sinceDraw.ElapsedMilliseconds < 100 && s.Step != s.StepsPerEpoch) return;
            sinceDraw.Restart();
            const int width = 24;
            var filled = (int)Math.Round(width * s.Step / (double)Math.Max(1, s.StepsPerEpoch));
            var time = s.TimeBudget is { } b ? $"{Format(s.Elapsed)}/{Format(b)}" : Format(s.Elapsed);
            current = string.Create(CultureInfo.InvariantCulture,
                $"epoch {s.Epoch} [{new string('#', filled)}{new string('.', width - filled)}] {s.Step}/{s.StepsPerEpoch} loss {s.Loss:F4} lr {s.LearningRate:E2} {s.ImagesPerSecond:F0} img/s {time}");
            Draw();
        }
    }

    public void WriteLine(string line)
    {
        lock (gate)
        {
            Console.Write("\r\u001b[2K");
            Console.WriteLine(line);
            Draw();
        }
    }

    public void Finish()
    {
        lock (gate)
        {
            if (current.Length > 0) Console.Write("\r\u001b[2K");
            current = "";
        }
    }

    private void Draw()
    {
        if (current.Length == 0) return;
        var max = Math.Max(20, SafeWidth() - 1);
        Console.Write("\r\u001b[2K" + (current.Length > max ? current[..max] : current));
    }

    private static int SafeWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 120;
        }
        catch (IOException)
        {
            return 120;
        }
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
