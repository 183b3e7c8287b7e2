using System.IO.Compression;
using System.Xml.Linq;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;

namespace InceptionNeXt.Tests.Cli;

/// <summary>The NuGet packages: what InceptionNeXt.ML's holds, a project that consumes it, and the command line as a dotnet tool.</summary>
[TestClass]
public sealed class PackageTests
{
    private static (int ExitCode, string Stdout, string Stderr) Run(string file, params string[] args) =>
        ProcessRunner.Run(file, args, TimeSpan.FromMinutes(8));

    private static void WriteFeedConfig(string directory, string feed) => File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <add key="local" value="{feed}" />
          </packageSources>
        </configuration>
        """);

    [TestMethod]
    public void TheLibraryPackageHasReadmeLicenceDocsSymbolsAndPinnedDependencies()
    {
        using var zip = ZipFile.OpenRead(LocalPackages.LibraryPackage);
        var names = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (var name in new[] { "README.md", "LICENSE", "lib/net10.0/InceptionNeXt.ML.dll", "lib/net10.0/InceptionNeXt.ML.xml" })
            Assert.Contains(name, names);
        Assert.IsFalse(names.Any(n => n.Contains("Publicizer", StringComparison.OrdinalIgnoreCase)), "the build tool stays out");

        XNamespace ns = "http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd";
        XElement nuspec;
        using (var stream = zip.GetEntry("InceptionNeXt.ML.nuspec")!.Open()) nuspec = XDocument.Load(stream).Root!.Element(ns + "metadata")!;
        Assert.AreEqual("expression", nuspec.Element(ns + "license")!.Attribute("type")!.Value);
        Assert.AreEqual("MIT", nuspec.Element(ns + "license")!.Value);
        Assert.AreEqual("README.md", nuspec.Element(ns + "readme")!.Value);
        var dependencies = nuspec.Descendants(ns + "dependency").ToDictionary(d => d.Attribute("id")!.Value, d => d.Attribute("version")!.Value);
        Assert.AreEqual("[5.0.1]", dependencies["Microsoft.ML"], "exactly the ML.NET whose internals we compile against");
        Assert.AreEqual("1.31.1", dependencies["Microsoft.ML.OnnxRuntime"]);
        Assert.AreEqual("2.88.9", dependencies["SkiaSharp"]);
        Assert.IsFalse(dependencies.ContainsKey("Grpc.Tools"), "a build-time tool is no dependency");

        // Deterministic: every entry carries the fixed timestamp, not the time of the build.
        Assert.IsTrue(zip.Entries.All(e => e.LastWriteTime.UtcDateTime == new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc)),
            string.Join(", ", zip.Entries.Select(e => $"{e.FullName} {e.LastWriteTime:u}").Take(3)));
        Assert.IsTrue(File.Exists(Path.ChangeExtension(Path.Combine(LocalPackages.RepositoryRoot, "artifacts", "packages", Path.GetFileName(LocalPackages.LibraryPackage)), ".snupkg")),
            "symbols beside the package");
    }

    [TestMethod]
    public void TheQuickStartSampleRunsOnThePackedLibraryAlone()
    {
        // A project of its own, outside the repository, with the sample's code and one package reference, as a user's.
        using var dir = new TempDir();
        var root = LocalPackages.RepositoryRoot;
        var project = Path.Combine(dir.Path, "consumer");
        Directory.CreateDirectory(project);
        File.Copy(Path.Combine(root, "Samples", "QuickStart", "Program.cs"), Path.Combine(project, "Program.cs"));
        File.WriteAllText(Path.Combine(project, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="InceptionNeXt.ML" Version="[{LocalPackages.LibraryVersion}]" />
              </ItemGroup>
            </Project>
            """);
        WriteFeedConfig(project, Path.GetDirectoryName(LocalPackages.LibraryPackage)!);
        LocalPackages.ForgetCachedCopy("InceptionNeXt.ML", LocalPackages.LibraryVersion);

        var output = Path.Combine(dir.Path, "bin");
        var build = Run("dotnet", "build", project, "-c", "Release", "-o", output, "--nologo");
        Assert.AreEqual(0, build.ExitCode, build.Stdout + build.Stderr);
        Assert.IsFalse(build.Stdout.Contains("warning NU", StringComparison.Ordinal), "restore is clean: " + build.Stdout);
        var run = Run("dotnet", Path.Combine(output, "Consumer.dll"), Path.Combine(root, "Models", "inceptionnext_atto_fashion_mnist.onnx"),
            Path.Combine(root, "Samples", "QuickStart", "images"));
        Assert.AreEqual(0, run.ExitCode, run.Stdout + run.Stderr);
        StringAssert.Contains(run.Stdout, "185 correct (92.5%)");
        StringAssert.Contains(run.Stdout, "reloaded, it says");
    }

    [TestMethod]
    public void TheCommandLinePacksAsADotnetToolThatInstallsAndPredicts()
    {
        using var dir = new TempDir();
        var root = LocalPackages.RepositoryRoot;
        var feed = Path.Combine(dir.Path, "feed");
        // RID-specific (libtorch is native): the pack builds the tool for this platform's RID.
        var pack = Run("dotnet", "pack", Path.Combine(root, "InceptionNeXt.Cli", "InceptionNeXt.Cli.csproj"), "-c", "Release",
            "-o", feed, "--nologo");
        Assert.AreEqual(0, pack.ExitCode, pack.Stdout + pack.Stderr);
        var rid = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
        var pointer = Path.Combine(feed, $"InceptionNeXt.Cli.{LocalPackages.LibraryVersion}.nupkg");
        using (var zip = ZipFile.OpenRead(pointer))
            CollectionAssert.Contains(zip.Entries.Select(e => e.FullName).ToList(), "tools/any/any/DotnetToolSettings.xml",
                "the pointer package that resolves the RID-specific one");
        var package = Path.Combine(feed, $"InceptionNeXt.Cli.{rid}.{LocalPackages.LibraryVersion}.nupkg");
        Assert.IsTrue(File.Exists(package), $"no {Path.GetFileName(package)} in the feed: " + string.Join(", ", Directory.GetFiles(feed).Select(Path.GetFileName)));
        using (var zip = ZipFile.OpenRead(package))
        {
            var names = zip.Entries.Select(e => e.FullName).ToList();
            var prefix = $"tools/net10.0/{rid}/";
            CollectionAssert.Contains(names, prefix + "DotnetToolSettings.xml");
            CollectionAssert.Contains(names, $"{prefix}packages/InceptionNeXt.ML.{LocalPackages.LibraryVersion}.nupkg");
            Assert.IsTrue(names.Any(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.Contains("LibTorchSharp", StringComparison.Ordinal)),
                "TorchSharp's native library in the tool");
            Assert.IsFalse(names.Any(n => n.Contains("/runtimes/ios/", StringComparison.Ordinal) || n.Contains("/runtimes/android/", StringComparison.Ordinal)),
                "no mobile runtimes in a .NET tool");
        }

        var tools = Path.Combine(dir.Path, "tools");
        WriteFeedConfig(dir.Path, feed);
        var install = ProcessRunner.Run("dotnet", ["tool", "install", "InceptionNeXt.Cli", "--tool-path", tools, "--version", LocalPackages.LibraryVersion,
            "--configfile", Path.Combine(dir.Path, "nuget.config")], TimeSpan.FromMinutes(8));
        Assert.AreEqual(0, install.ExitCode, install.Stdout + install.Stderr);
        var image = Directory.GetFiles(Path.Combine(root, "Samples", "QuickStart", "images", "Trouser")).Order(StringComparer.Ordinal).First();
        var predict = Run(Path.Combine(tools, OperatingSystem.IsWindows() ? "inceptionnext.exe" : "inceptionnext"),
            "predict", image, "--model", Path.Combine(root, "Models", "inceptionnext_atto_fashion_mnist.onnx"));
        Assert.AreEqual(0, predict.ExitCode, predict.Stdout + predict.Stderr);
        StringAssert.Contains(predict.Stdout, "Trouser");

        // libtorch loads from the installed tool (the patched libLibTorchSharp.so where libstdc++ is older than GCC 13's).
        var train = Run(Path.Combine(tools, OperatingSystem.IsWindows() ? "inceptionnext.exe" : "inceptionnext"),
            "benchmark", "--model", "inceptionnext_atto", "--train", "--batch-size", "2", "--image-size", "64", "--warmup", "1", "--iters", "1");
        Assert.AreEqual(0, train.ExitCode, train.Stdout + train.Stderr);
        StringAssert.Contains(train.Stdout, "engine=TorchSharp");
    }
}
