namespace InceptionNeXt.Tests.Infrastructure;

/// <summary>Runs small reference scripts with the system Python (and PyTorch, when installed) for cross-checks.</summary>
public static class PythonRunner
{
    /// <summary>The interpreter; override with the INCEPTIONNEXT_PYTHON environment variable.</summary>
    public static string Python { get; } = Environment.GetEnvironmentVariable("INCEPTIONNEXT_PYTHON") is { Length: > 0 } p ? p : "/usr/bin/python3";

    private static readonly Lazy<bool> s_hasPython = new(() => Probe("import sys"));
    private static readonly Lazy<bool> s_hasTorch = new(() => Probe("import torch, numpy"));

    /// <summary>Whether the Python interpreter can be started.</summary>
    public static bool HasPython => s_hasPython.Value;

    /// <summary>Whether Python can import torch (and numpy).</summary>
    public static bool HasTorch => s_hasTorch.Value;

    /// <summary>Marks the calling test inconclusive when Python is unavailable.</summary>
    public static void RequirePython()
    {
        if (!HasPython)
        {
            Assert.Inconclusive($"{Python} is not available.");
        }
    }

    /// <summary>Marks the calling test inconclusive when Python with torch is unavailable.</summary>
    public static void RequireTorch()
    {
        if (!HasTorch)
        {
            Assert.Inconclusive($"{Python} with torch is not available.");
        }
    }

    /// <summary>Runs <paramref name="script"/> (passed with -c) with the given argv; returns stdout, throws with stderr on a non-zero exit.</summary>
    public static string Run(string script, params string[] args) => Run(script, TimeSpan.FromMinutes(3), args);

    /// <summary>Runs <paramref name="script"/> with a timeout.</summary>
    public static string Run(string script, TimeSpan timeout, params string[] args)
    {
        var (code, stdout, stderr) = ProcessRunner.Run(Python, ["-c", script, .. args], timeout,
            new Dictionary<string, string?> { ["PYTHONDONTWRITEBYTECODE"] = "1", ["OMP_NUM_THREADS"] = "1" });
        if (code != 0)
        {
            throw new InvalidOperationException($"Python exited with code {code}:\n{stderr}\nstdout:\n{stdout}");
        }

        return stdout;
    }

    private static bool Probe(string code)
    {
        try
        {
            Run(code, TimeSpan.FromMinutes(1));
            return true;
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or TimeoutException)
        {
            return false;
        }
    }
}
