namespace InceptionNeXt.Cli.ModelBuilder;

/// <summary>
/// The NuGet packages InceptionNeXt.ML runs on, as the generated console project must reference them (kept equal to
/// the PackageReference versions in InceptionNeXt.ML.csproj; a test builds the generated project).
/// </summary>
internal static class InferencePackages
{
    public static IReadOnlyList<(string Id, string Version)> All { get; } =
    [
        // ML.NET exactly as InceptionNeXt.ML pins it: the saved transformers load through its internals.
        ("Microsoft.ML", "[5.0.1]"),
        ("Microsoft.ML.ImageAnalytics", "[5.0.1]"),
        ("Microsoft.ML.OnnxTransformer", "[5.0.1]"),
        ("Microsoft.ML.OnnxRuntime.Managed", "1.31.1"),
        ("Microsoft.ML.OnnxRuntime", "1.31.1"),
        ("SkiaSharp", "2.88.9"),
        ("SkiaSharp.NativeAssets.Linux.NoDependencies", "2.88.9"),
        // Also packages, not copied files: ONNX Runtime pulls an older System.Numerics.Tensors that would win over a copy.
        ("System.Numerics.Tensors", "10.0.0"),
        ("Google.Protobuf", "3.30.2"),
    ];
}
