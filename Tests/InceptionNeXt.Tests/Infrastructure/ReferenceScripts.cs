using System.Diagnostics;

namespace InceptionNeXt.Tests.Infrastructure;

/// <summary>Runs the project's Python reference scripts (tools/reference, copied next to the tests).</summary>
public static class ReferenceScripts
{
    /// <summary>Full path of a reference script.</summary>
    public static string PathOf(string script) => Path.Combine(AppContext.BaseDirectory, "reference", script);

    /// <summary>Runs <paramref name="script"/> with arguments; returns stdout, throws with stderr on failure.</summary>
    public static string Run(string script, params string[] args)
    {
        PythonRunner.RequireTorch();
        var psi = new ProcessStartInfo(PythonRunner.Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(PathOf(script));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start python");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{script} timed out");
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{script} exited with {process.ExitCode}:\n{stderr.Result}\n{stdout.Result}");
        return stdout.Result;
    }
}
