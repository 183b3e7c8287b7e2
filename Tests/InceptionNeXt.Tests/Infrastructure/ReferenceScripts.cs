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
        var (code, stdout, stderr) = ProcessRunner.Run(PythonRunner.Python, [PathOf(script), .. args], environment: new Dictionary<string, string?> { ["PYTHONDONTWRITEBYTECODE"] = "1" });
        if (code != 0)
            throw new InvalidOperationException($"{script} exited with {code}:\n{stderr}\n{stdout}");
        return stdout;
    }
}
