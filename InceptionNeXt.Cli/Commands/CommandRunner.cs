namespace InceptionNeXt.Cli.Commands;

/// <summary>Runs a command body and turns exceptions into one clear error line and exit code 1.</summary>
internal static class CommandRunner
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            if (Environment.GetEnvironmentVariable("INCEPTIONNEXT_DEBUG") == "1") Console.Error.WriteLine(e);
            return 1;
        }
    }
}
