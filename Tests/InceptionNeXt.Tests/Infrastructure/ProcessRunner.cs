using System.Diagnostics;

namespace InceptionNeXt.Tests.Infrastructure;

/// <summary>Runs a program with arguments, collecting stdout and stderr, as the tests do for the CLI, Python and generated projects.</summary>
public static class ProcessRunner
{
    /// <summary>How long a run may take unless a test says otherwise.</summary>
    public static TimeSpan DefaultTimeout { get; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Runs <paramref name="file"/>; a run past <paramref name="timeout"/> is killed with its children and throws
    /// <see cref="TimeoutException"/>. <paramref name="environment"/> sets variables; a null value removes one.
    /// </summary>
    public static (int ExitCode, string Stdout, string Stderr) Run(string file, IEnumerable<string> args, TimeSpan? timeout = null,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) psi.Environment.Remove(key);
            else psi.Environment[key] = value;
        }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        var limit = timeout ?? DefaultTimeout;
        if (!process.WaitForExit(limit))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} {string.Join(' ', psi.ArgumentList.Take(3))} timed out after {limit}.");
        }
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs the <c>inceptionnext</c> command line built next to the tests, as a user would.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunCli(params string[] args) => RunCli(null, args);

    /// <summary>Runs the command line with <paramref name="environment"/> changed as in <see cref="Run"/>.</summary>
    public static (int ExitCode, string Stdout, string Stderr) RunCli(IReadOnlyDictionary<string, string?>? environment, params string[] args) =>
        Run("dotnet", [Path.Combine(AppContext.BaseDirectory, "InceptionNeXt.Cli.dll"), .. args], environment: environment);
}
