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
            Console.Error.WriteLine($"error: {UserMessage(e)}");
            if (Environment.GetEnvironmentVariable("INCEPTIONNEXT_DEBUG") == "1") Console.Error.WriteLine(e);
            return 1;
        }
    }

    /// <summary>
    /// The message without what .NET appends for programmers: " (Parameter 'name')" names a C# parameter, not an option,
    /// and "Actual value was ..." repeats what the message already says.
    /// </summary>
    internal static string UserMessage(Exception e)
    {
        var message = e.Message;
        if (e is ArgumentOutOfRangeException { ActualValue: { } actual })
            message = message.Replace($"{Environment.NewLine}Actual value was {actual}.", "", StringComparison.Ordinal);
        if (e is ArgumentException { ParamName: { } name })
            message = message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal);
        return message;
    }
}
