namespace InceptionNeXt.Tests.Engine;

/// <summary>Where the TorchSharp native library lies: in the NuGet cache and in this test's build output.</summary>
internal static class TorchSharpFiles
{
    private const string RelativeNative = "runtimes/linux-x64/native/libLibTorchSharp.so";

    /// <summary>The package's own copy (NUGET_PACKAGES, else ~/.nuget/packages).</summary>
    public static string CacheCopy
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p
                ? p
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            return Path.Combine(root, "torchsharp", "0.107.0", RelativeNative);
        }
    }

    /// <summary>The copy the build put next to the test assembly.</summary>
    public static string OutputCopy => Path.Combine(AppContext.BaseDirectory, RelativeNative);

    /// <summary>Marks the test inconclusive off Linux x64 or without the package in the cache.</summary>
    public static void RequireLinuxPackage()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.OSArchitecture != System.Runtime.InteropServices.Architecture.X64)
            Assert.Inconclusive("the libstdc++ patch concerns Linux x64 only");
        if (!File.Exists(CacheCopy)) Assert.Inconclusive($"TorchSharp 0.107.0 is not in the NuGet cache at {CacheCopy}");
    }
}
