namespace InceptionNeXt.Tests.Infrastructure;

/// <summary>The packages a Release build writes, and NuGet's global cache that consumers restore them into.</summary>
public static class LocalPackages
{
    /// <summary>The repository this test assembly was built from (the folder with Solution.sln).</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Solution.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException($"No Solution.sln above {AppContext.BaseDirectory}.");
        }
    }

    /// <summary>The InceptionNeXt.ML package the command line ships (copied next to the tests with it).</summary>
    public static string LibraryPackage
    {
        get
        {
            var found = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "packages"), "InceptionNeXt.ML.*.nupkg");
            Assert.HasCount(1, found, "one InceptionNeXt.ML package next to the command line");
            return found[0];
        }
    }

    /// <summary>The version in <see cref="LibraryPackage"/>'s file name.</summary>
    public static string LibraryVersion => Path.GetFileNameWithoutExtension(LibraryPackage)["InceptionNeXt.ML.".Length..];

    /// <summary>
    /// Removes the extracted copy of <paramref name="id"/> <paramref name="version"/> from NuGet's global packages folder.
    /// Every local build has the same version, and NuGet never re-extracts a version it has, so without this a consumer
    /// would silently build against the package of an earlier build.
    /// </summary>
    public static void ForgetCachedCopy(string id, string version)
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom ? custom
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var folder = Path.Combine(root, id.ToLowerInvariant(), version.ToLowerInvariant());
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }
}
