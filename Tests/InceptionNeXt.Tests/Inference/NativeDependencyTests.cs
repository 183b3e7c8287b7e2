using InceptionNeXt.Tests.Infrastructure;

namespace InceptionNeXt.Tests.Inference;

/// <summary>
/// Inference ships every native library it needs through NuGet: on Linux x64 the libraries next to the binaries
/// (ONNX Runtime, SkiaSharp, and TorchSharp's libtorch for training) link only against the C/C++ runtime every Linux
/// has or against each other, never a library installed with apt.
/// </summary>
[TestClass]
public sealed class NativeDependencyTests
{
    // What any glibc Linux that runs .NET has; anything else would have to be installed by the user.
    private static readonly string[] BaseSystem =
        ["linux-vdso.so", "ld-linux-x86-64.so", "libc.so", "libm.so", "libdl.so", "librt.so", "libpthread.so", "libstdc++.so", "libgcc_s.so"];

    [TestMethod]
    public void InferenceNativeLibrariesNeedNothingBeyondTheBaseSystem()
    {
        if (!OperatingSystem.IsLinux() || System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture != System.Runtime.InteropServices.Architecture.X64)
            Assert.Inconclusive("The check reads ELF dependencies with ldd on Linux x64.");
        var native = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        // Shared objects only (ML.NET also ships detached debug symbols, libLdaNative.so.dbg, which ldd cannot read).
        var libraries = Directory.GetFiles(native).Where(f => System.Text.RegularExpressions.Regex.IsMatch(Path.GetFileName(f), @"\.so(\.\d+)*$")).ToArray();
        CollectionAssert.IsSubsetOf(new[] { "libonnxruntime.so", "libSkiaSharp.so" }, libraries.Select(Path.GetFileName).ToArray(),
            $"{native} should hold the NuGet packages' native libraries");
        foreach (var library in libraries)
        {
            var (code, stdout, stderr) = ProcessRunner.Run("ldd", [library], TimeSpan.FromSeconds(30));
            Assert.AreEqual(0, code, $"ldd {library}: {stderr}");
            foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                // The build's patched libLibTorchSharp.so needs GLIBCXX_3.4.32 only weakly where libstdc++ lacks it: the
                // loader accepts that (ldd still reports it), and tools/ElfVersionPatcher checked nothing binds to it.
                if (line.Contains("weak version", StringComparison.Ordinal)) continue;
                var name = Path.GetFileName(line.Split(' ')[0]);
                Assert.IsFalse(line.Contains("not found", StringComparison.Ordinal), $"{Path.GetFileName(library)} needs {name}, which is missing");
                // libtorch's libraries find each other next to themselves (RUNPATH $ORIGIN): shipped, not installed.
                var shipped = line.Split(" => ") is [_, var resolved] && resolved.StartsWith(native + "/", StringComparison.Ordinal);
                Assert.IsTrue(shipped || BaseSystem.Any(b => name.StartsWith(b, StringComparison.Ordinal)),
                    $"{Path.GetFileName(library)} links against {name}, which is not part of the base system: users would have to install it");
            }
        }
    }
}
