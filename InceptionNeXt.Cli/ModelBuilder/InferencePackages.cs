namespace InceptionNeXt.Cli.ModelBuilder;

/// <summary>
/// The NuGet packages InceptionNeXt.ML runs on, as the generated console project must reference them (kept equal to
/// the PackageReference versions in InceptionNeXt.ML.csproj; a test builds the generated project).
/// </summary>
internal static class InferencePackages
{
    public static IReadOnlyList<(string Id, string Version)> All { get; } =
    [
        ("Microsoft.ML.OnnxRuntime.Managed", "1.31.1"),
        ("Microsoft.ML.OnnxRuntime", "1.31.1"),
    ];
}
