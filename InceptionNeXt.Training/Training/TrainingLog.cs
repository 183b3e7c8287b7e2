using System.Globalization;
using System.Text;
using System.Text.Json;

namespace InceptionNeXt.Training.Training;

/// <summary>One epoch's numbers.</summary>
/// <param name="Epoch">Epoch number (1-based).</param>
/// <param name="TrainLoss">Mean training loss.</param>
/// <param name="LearningRate">Learning rate at the end of the epoch.</param>
/// <param name="ImagesPerSecond">Training throughput.</param>
/// <param name="Top1">Validation top-1 (percent).</param>
/// <param name="Top5">Validation top-5 (percent).</param>
/// <param name="ValLoss">Validation loss.</param>
/// <param name="EmaTop1">Validation top-1 of the EMA weights, when kept.</param>
/// <param name="Skipped">Training images skipped as unreadable in this epoch.</param>
/// <param name="ElapsedSeconds">Wall time since the run started.</param>
public sealed record EpochRecord(int Epoch, double TrainLoss, double LearningRate, double ImagesPerSecond, double Top1, double Top5,
    double ValLoss, double? EmaTop1, long Skipped, double ElapsedSeconds);

/// <summary>Per-epoch log: CSV (<c>log.csv</c>) and JSON lines (<c>log.jsonl</c>), appended as each epoch ends.</summary>
public sealed class TrainingLog
{
    private readonly string csvPath;
    private readonly string jsonPath;
    private const string Header = "epoch,train_loss,lr,img_per_s,top1,top5,val_loss,ema_top1,skipped,elapsed_s\n";

    // UTF-8 without a byte-order mark: File.AppendAllText with Encoding.UTF8 starts an empty file with one, which
    // line-oriented JSON readers reject.
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly List<EpochRecord> records = [];

    /// <summary>
    /// Opens (or, on resume, continues) the log in <paramref name="folder"/>. When continuing, epochs after
    /// <paramref name="keepThroughEpoch"/> (logged by a run killed before it saved that epoch's checkpoint, so the resumed
    /// run repeats them) are dropped, so that no epoch is logged twice.
    /// </summary>
    public TrainingLog(string folder, bool append, int? keepThroughEpoch = null)
    {
        csvPath = Path.Combine(folder, "log.csv");
        jsonPath = Path.Combine(folder, "log.jsonl");
        if (append && File.Exists(jsonPath))
        {
            var all = File.ReadLines(jsonPath).Select(l => l.TrimStart('\uFEFF')).Where(l => l.Length > 0)
                .Select(l => JsonSerializer.Deserialize<EpochRecord>(l)!).ToList();
            records.AddRange(all.Where(r => keepThroughEpoch is not { } keep || r.Epoch <= keep)
                .GroupBy(r => r.Epoch).Select(g => g.Last()).OrderBy(r => r.Epoch));
            if (records.Count != all.Count) Rewrite();
        }
        else Rewrite();
    }

    // Writes both files from the records (the header only when there are none).
    private void Rewrite()
    {
        var kept = records.ToList();
        records.Clear();
        File.WriteAllText(csvPath, Header, Utf8);
        File.WriteAllText(jsonPath, "", Utf8);
        foreach (var r in kept) Add(r);
    }

    /// <summary>Epochs logged so far.</summary>
    public IReadOnlyList<EpochRecord> Records => records;

    /// <summary>Appends an epoch.</summary>
    public void Add(EpochRecord r)
    {
        records.Add(r);
        var c = CultureInfo.InvariantCulture;
        File.AppendAllText(csvPath, string.Join(",", r.Epoch.ToString(c), r.TrainLoss.ToString("F5", c), r.LearningRate.ToString("E4", c),
            r.ImagesPerSecond.ToString("F1", c), r.Top1.ToString("F3", c), r.Top5.ToString("F3", c), r.ValLoss.ToString("F5", c),
            r.EmaTop1?.ToString("F3", c) ?? "", r.Skipped.ToString(c), r.ElapsedSeconds.ToString("F1", c)) + "\n", Utf8);
        File.AppendAllText(jsonPath, JsonSerializer.Serialize(r) + "\n", Utf8);
    }
}
