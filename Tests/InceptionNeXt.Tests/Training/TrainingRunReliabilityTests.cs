using System.Diagnostics;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchTraining;
using InceptionNeXt.Training.Training;

namespace InceptionNeXt.Tests.Training;

/// <summary>
/// Issue 14: what an adversarial run of `train` found — time-budget resume, an existing or busy output folder, signals,
/// short budgets, logs, class checks, skipped files — each on a tiny model and 16 px images, without timing asserts.
/// </summary>
[TestClass]
public sealed class TrainingRunReliabilityTests
{
    // Two (or more) classes of random 16 px images, plus optional extra files.
    private static string MakeData(TempDir dir, string name, string classes = "a b", int perClass = 40, string extra = "")
    {
        var data = Path.Combine(dir.Path, name);
        PythonRunner.RequirePython();
        PythonRunner.Run("""
            import os, sys, numpy as np
            from PIL import Image
            rng = np.random.default_rng(5)
            for cls in sys.argv[2].split():
                os.makedirs(f"{sys.argv[1]}/{cls}", exist_ok=True)
                for i in range(int(sys.argv[3])):
                    Image.fromarray(rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)).save(f"{sys.argv[1]}/{cls}/{i:02d}.png")
            exec(sys.argv[4])
            """, data, classes, perClass.ToString(System.Globalization.CultureInfo.InvariantCulture), extra);
        return data;
    }

    private static TrainOptions Options(string data, string output) => new()
    {
        Data = data, Model = "inceptionnext_atto", Output = output, Epochs = 1, BatchSize = 4, Lr = 1e-3, Workers = 1, Threads = 2,
        ValidationFraction = 0.1,
    };

    [TestMethod]
    public void TimeBudgetResumeKeepsTheFittedScheduleAndFitsOneNotYetFitted()
    {
        using var dir = new TempDir();
        var data = MakeData(dir, "data");
        // A budget far longer than the test: the runs are cancelled after a number of updates, never by the clock.
        var options = Options(data, Path.Combine(dir.Path, "run")) with { TimeBudget = TimeSpan.FromMinutes(20) };
        var last = Path.Combine(options.Output, "last.pth");

        // Stopped before the schedule is fitted (update 3 of the 20 timed first): no schedule, the budget and time spent.
        Run(options, stopAfter: 3);
        var early = TorchTrainingCheckpoint.ReadInfo(last);
        Assert.IsNotNull(early.TimeBudget);
        Assert.AreEqual(TimeSpan.FromMinutes(20), early.TimeBudget.Budget);
        Assert.IsFalse(early.TimeBudget.Fitted);
        Assert.IsTrue(early.TimeBudget.Elapsed > TimeSpan.Zero);

        // Resumed without --time-budget: the checkpoint's budget is kept, and the schedule is fitted after this run's own
        // timing (before the fix a one-update cosine ended the run after one update at lr 0).
        var lines = new List<string>();
        var rates = Run(options with { TimeBudget = null, Resume = last }, stopAfter: 22, lines);
        Assert.AreEqual(22, rates.Count, string.Join("\n", lines));
        Assert.IsTrue(lines.Any(l => l.StartsWith("time budget 00:20:00: about ", StringComparison.Ordinal)), string.Join("\n", lines));
        var fitted = TorchTrainingCheckpoint.ReadInfo(last);
        Assert.IsTrue(fitted.TimeBudget!.Fitted);
        Assert.AreEqual(25L, fitted.Progress.GlobalStep);
        Assert.IsTrue(fitted.TimeBudget.Elapsed > early.TimeBudget.Elapsed, "the time spent carries over");
        var schedule = fitted.Schedule!;
        Assert.IsTrue(schedule.TInitial > 25, $"fitted to {schedule.TInitial} updates");
        Assert.IsTrue(schedule.WarmupT <= schedule.TInitial * TorchTrainer.MaxWarmupShare);
        Assert.AreEqual(25L, schedule.T);

        // Resumed after fitting: the same schedule continues where it stopped (rate of update 26 first).
        rates = Run(options with { Resume = last }, stopAfter: 3);
        Assert.AreEqual(3, rates.Count);
        Assert.AreEqual(schedule.LearningRateAt(26), rates[0], 1e-12);
        Assert.AreEqual(schedule.LearningRateAt(28), rates[2], 1e-12);
        Assert.IsTrue(rates[0] > options.WarmupLr);
        var after = TorchTrainingCheckpoint.ReadInfo(last);
        Assert.AreEqual(schedule.TInitial, after.Schedule!.TInitial);
        Assert.AreEqual(schedule.WarmupT, after.Schedule.WarmupT);
        Assert.AreEqual(28L, after.Progress.GlobalStep);
    }

    // Runs until `stopAfter` updates of this run (then as Ctrl+C does); returns each update's learning rate.
    private static List<double> Run(TrainOptions options, int stopAfter, List<string>? lines = null)
    {
        using var cancel = new CancellationTokenSource();
        var rates = new List<double>();
        var result = new TorchTrainer(options, l => lines?.Add(l))
        {
            OnStep = s =>
            {
                rates.Add(s.LearningRate);
                if (rates.Count == stopAfter) cancel.Cancel();
            },
        }.Run(cancel.Token);
        Assert.IsTrue(result.Stopped);
        return rates;
    }

    [TestMethod]
    public void ShortBudgetsCapWarmupAndWarn()
    {
        // 20 updates timed at 0.5 s each with 10 s of a 12 s budget spent: hardly anything left.
        var (total, warmup, warning) = TorchTrainer.FitBudget(TimeSpan.FromSeconds(12), TimeSpan.FromSeconds(10), 0.5, 20, 18, 5);
        Assert.IsTrue(total < TorchTrainer.MinMeaningfulUpdates);
        Assert.IsTrue(warmup <= total * TorchTrainer.MaxWarmupShare, $"warmup {warmup} of {total}");
        Assert.IsNotNull(warning);
        StringAssert.Contains(warning, "--time-budget 00:00:12");

        // A long budget: warmup epochs as asked (5 x 18 updates), far below the cap; no warning.
        (total, warmup, warning) = TorchTrainer.FitBudget(TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(10), 0.1, 20, 18, 5);
        Assert.IsTrue(total > 10_000);
        Assert.AreEqual(90L, warmup);
        Assert.IsNull(warning);

        // Warmup epochs longer than the run: capped to the share.
        (total, warmup, _) = TorchTrainer.FitBudget(TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(10), 0.1, 20, 100, 5);
        Assert.AreEqual((long)(total * TorchTrainer.MaxWarmupShare), warmup);
    }

    [TestMethod]
    public void ExistingRunIsNotReplacedWithoutForceAndBusyFolderIsRefused()
    {
        using var dir = new TempDir();
        var output = Path.Combine(dir.Path, "run");
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, "log.csv"), "epoch\n1\n");
        var options = Options(dir.File("no-such-data"), output);

        var refused = Assert.ThrowsExactly<IOException>(() => new TorchTrainer(options, _ => { }).Run());
        StringAssert.Contains(refused.Message, $"--output {output} already holds a training run (log.csv)");
        StringAssert.Contains(refused.Message, "--force");
        Assert.AreEqual("epoch\n1\n", File.ReadAllText(Path.Combine(output, "log.csv")), "the old log is untouched");

        // --force gets past the check (to the missing data here).
        var forced = Assert.Throws<Exception>(() => new TorchTrainer(options with { Force = true }, _ => { }).Run());
        StringAssert.Contains(forced.Message, "no-such-data");

        // A folder another run holds (its lock file open) is refused at once, naming the folder.
        var lockPath = Path.Combine(output, "train.lock");
        using (new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var busy = Assert.ThrowsExactly<IOException>(() => new TorchTrainer(options with { Force = true }, _ => { }).Run());
            StringAssert.Contains(busy.Message, $"--output {output} is in use by another training run");
        }

        // A lock file nobody holds (left by a killed run) does not block.
        Assert.IsTrue(File.Exists(lockPath));
        forced = Assert.Throws<Exception>(() => new TorchTrainer(options with { Force = true }, _ => { }).Run());
        StringAssert.Contains(forced.Message, "no-such-data");
    }

    [TestMethod]
    public void LogsResumeChecksClassesAndNamesSkippedFiles()
    {
        using var dir = new TempDir();
        var data = MakeData(dir, "data", extra: "open(f'{sys.argv[1]}/a/broken.png', 'wb').write(b'\\x89PNG\\r\\n\\x1a\\n broken')");
        var options = Options(data, Path.Combine(dir.Path, "run"));
        var lines = new List<string>();
        new TorchTrainer(options, lines.Add).Run();

        // The unreadable file is named in the log and listed in skipped.txt.
        Assert.IsTrue(lines.Any(l => l.StartsWith("skipped 1 unreadable image(s) in epoch 1: ", StringComparison.Ordinal) && l.Contains("broken.png", StringComparison.Ordinal)),
            string.Join("\n", lines));
        StringAssert.Contains(File.ReadAllText(Path.Combine(options.Output, "skipped.txt")), "broken.png");

        // log.jsonl is UTF-8 without a byte-order mark.
        var json = File.ReadAllBytes(Path.Combine(options.Output, "log.jsonl"));
        Assert.AreEqual((byte)'{', json[0]);

        // A run killed after logging epoch 2 but before saving its checkpoint: the resumed run logs epoch 2 once.
        var jsonl = Path.Combine(options.Output, "log.jsonl");
        File.AppendAllText(jsonl, File.ReadAllLines(jsonl)[0].Replace("\"Epoch\":1", "\"Epoch\":2", StringComparison.Ordinal) + "\n");
        File.AppendAllText(Path.Combine(options.Output, "log.csv"), "2,killed\n");
        var last = Path.Combine(options.Output, "last.pth");
        new TorchTrainer(options with { Epochs = 2, Resume = last }, _ => { }).Run();
        Assert.AreEqual(2, File.ReadAllLines(jsonl).Length);
        var csv = File.ReadAllLines(Path.Combine(options.Output, "log.csv"));
        Assert.AreEqual(3, csv.Length, string.Join("\n", csv));
        Assert.IsFalse(csv.Any(l => l.Contains("killed", StringComparison.Ordinal)));

        // Resuming on data with other classes is refused, naming the difference.
        var other = MakeData(dir, "other", classes: "a c", perClass: 8);
        var mismatch = Assert.ThrowsExactly<ArgumentException>(() => new TorchTrainer(options with { Data = other, Epochs = 3, Resume = last }, _ => { }).Run());
        StringAssert.Contains(mismatch.Message, "only in the checkpoint: b; only in the data: c");
        StringAssert.Contains(mismatch.Message, $"--resume {last}");

        // One class, or a class folder without images, is refused.
        var single = MakeData(dir, "single", classes: "only", perClass: 8);
        var one = Assert.ThrowsExactly<ArgumentException>(() => new TorchTrainer(options with { Data = single, Output = dir.File("o1") }, _ => { }).Run());
        StringAssert.Contains(one.Message, "has 1 class ('only')");
        var withEmpty = MakeData(dir, "empty", perClass: 8, extra: "os.makedirs(f'{sys.argv[1]}/c')");
        var empty = Assert.ThrowsExactly<ArgumentException>(() => new TorchTrainer(options with { Data = withEmpty, Output = dir.File("o2") }, _ => { }).Run());
        StringAssert.Contains(empty.Message, "class 'c' has no training images");

        // `export --model` of another architecture than the checkpoint's is refused, naming both.
        var (code, _, stderr) = ProcessRunner.RunCli("export", "--model", "convnext_atto", "--weights", last, "--output", dir.File("x.onnx"));
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, "is a checkpoint of inceptionnext_atto, not of --model convnext_atto");
        Assert.IsFalse(File.Exists(dir.File("x.onnx")));
    }

    [TestMethod]
    public void CancellingDuringValidationStopsWithAResumableCheckpoint()
    {
        using var dir = new TempDir();
        var data = MakeData(dir, "data", perClass: 12);
        var options = Options(data, Path.Combine(dir.Path, "run")) with { Epochs = 3 };
        using var cancel = new CancellationTokenSource();
        // OnEpoch runs after validation: a Ctrl+C at that point used to end in "The operation was canceled" (exit 1).
        var result = new TorchTrainer(options, _ => { }) { OnEpoch = _ => cancel.Cancel() }.Run(cancel.Token);
        Assert.IsTrue(result.Stopped);
        var info = TorchTrainingCheckpoint.ReadInfo(result.CheckpointPath);
        Assert.AreEqual(1L, info.Progress.Epoch);
        Assert.AreEqual(0L, info.Progress.DataPosition);
    }

    [TestMethod]
    public void SigtermAndCtrlCStopWithACheckpointAndExitCodes143And130()
    {
        PythonRunner.RequirePython();
        using var dir = new TempDir();
        var data = MakeData(dir, "data", perClass: 24);
        foreach (var (signal, code) in new[] { ("TERM", 143), ("INT", 130) })
        {
            var output = Path.Combine(dir.Path, "run-" + signal);
            // A test host started in the background (nohup, `cmd &`) ignores SIGINT, and so would its children: the child
            // restores the default disposition before it becomes `dotnet` (same process, so the same PID).
            var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "-c", "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])", "dotnet", Path.Combine(AppContext.BaseDirectory, "InceptionNeXt.Cli.dll"), "train", "--data", data, "--model", "inceptionnext_atto",
                         "--output", output, "--epochs", "1000", "--batch-size", "4", "--threads", "1", "--workers", "1", "--val-fraction", "0.1" })
                psi.ArgumentList.Add(a);
            using var process = Process.Start(psi)!;
            try
            {
                var stderr = process.StandardError.ReadToEndAsync();
                // Wait for the first epoch to end (its summary line), then signal.
                string? line;
                var seen = new List<string>();
                while ((line = process.StandardOutput.ReadLine()) is not null && !line.StartsWith("epoch 1:", StringComparison.Ordinal)) seen.Add(line);
                if (line is null) Assert.Fail("train ended before its first epoch:\n" + string.Join("\n", seen) + stderr.Result);
                using (var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) kill.WaitForExit();
                var rest = process.StandardOutput.ReadToEndAsync();
                if (!process.WaitForExit(TimeSpan.FromMinutes(2))) Assert.Fail("train did not stop within 2 minutes of SIG" + signal);
                Assert.AreEqual(code, process.ExitCode, stderr.Result + rest.Result);
                StringAssert.Contains(rest.Result, "resumable checkpoint");
                StringAssert.Contains(stderr.Result, signal == "TERM" ? "SIGTERM" : "Ctrl+C");
            }
            finally
            {
                if (!process.HasExited) process.Kill(entireProcessTree: true);
            }
            var info = TorchTrainingCheckpoint.ReadInfo(Path.Combine(output, "last.pth"));
            Assert.IsTrue(info.Progress.Epoch >= 1);
        }
    }

    [TestMethod]
    public void CliNamesOptionsAndSuggestsModelNames()
    {
        var (code, _, stderr) = ProcessRunner.RunCli("train", "--data", "x", "--model", "inceptionnext_atto", "--output", "y", "--workers", "0");
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, "--workers 0 is out of range");
        (code, _, stderr) = ProcessRunner.RunCli("train", "--data", "x", "--model", "inceptionnext_atto", "--output", "y", "--threads", "0");
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, "--threads 0 is out of range");
        (code, _, stderr) = ProcessRunner.RunCli("train", "--data", "x", "--model", "inceptionnext_atto", "--output", "y", "--epochs", "0");
        Assert.AreEqual(1, code);
        StringAssert.Contains(stderr, "--epochs 0 is out of range");
        Assert.IsFalse(stderr.Contains("options.", StringComparison.Ordinal) || stderr.Contains("(Parameter", StringComparison.Ordinal), stderr);

        var unknown = Assert.ThrowsExactly<ArgumentException>(() => ModelRegistry.GetConfig("inceptionnext_ato"));
        StringAssert.Contains(unknown.Message, "Did you mean 'inceptionnext_atto'?");
        Assert.IsFalse(Assert.ThrowsExactly<ArgumentException>(() => ModelRegistry.GetConfig("resnet50")).Message.Contains("Did you mean", StringComparison.Ordinal));
        Assert.IsNull(new TrainOptions { Data = "d", Model = "m", Output = "o" }.Threads, "measured when the run starts, not in the options");
        Assert.IsNull(new InceptionNeXt.Training.MLNet.InceptionNeXtTrainerOptions().Threads, "measured when Fit starts");
        var threads = TrainOptions.DefaultThreads;
        Assert.IsTrue(threads >= 1 && threads <= Math.Min(8, Environment.ProcessorCount), $"default threads {threads}");

        // The default takes the cores other work leaves free: all on an idle machine, at least one on a busy one.
        Assert.AreEqual(2, IdleCores.Free(2, 0));
        Assert.AreEqual(1, IdleCores.Free(2, 1));
        Assert.AreEqual(1, IdleCores.Free(2, 7));
        Assert.AreEqual(6, IdleCores.Free(8, 2));
        Assert.AreEqual(3, IdleCores.Runnable("0.52 0.61 0.70 3/412 12345"));
        Assert.IsNull(IdleCores.Runnable("0.52 0.61"));
        Assert.IsNull(IdleCores.Runnable("0.52 0.61 0.70 x/412 12345"));
    }
}
