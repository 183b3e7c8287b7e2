using System.Reflection;
using InceptionNeXt.ML.OnnxRuntime;

namespace InceptionNeXt.Tests.OnnxRuntime;

[TestClass]
public sealed class OrtEnvironmentTests
{
    [TestMethod]
    public void EnvironmentReportsTheLoadedRuntime()
    {
        OrtEnvironment env = OrtEnvironment.Instance;
        Assert.AreSame(env, OrtEnvironment.Instance);
        Assert.AreEqual("1.30.0", env.RuntimeVersion);
        Assert.AreEqual(30, env.ApiVersion);
        Assert.IsTrue(File.Exists(env.NativeLibraryPath), env.NativeLibraryPath);
        Assert.Contains("CPUExecutionProvider", env.AvailableProviders);
    }

    [TestMethod]
    public void AppendCudaProviderOnThisBuildExplainsHowToGetCuda()
    {
        using var options = new SessionOptions();
        var e = Assert.ThrowsExactly<OnnxRuntimeException>(() => options.AppendCudaProvider());
        StringAssert.Contains(e.Message, "CUDA");
        StringAssert.Contains(e.Message, "INCEPTIONNEXT_ONNXRUNTIME_PATH");
        StringAssert.Contains(e.Message, "libonnxruntime 1.30");
        Assert.AreNotEqual(OrtErrorCode.Ok, e.ErrorCode);
        Assert.IsEmpty(options.ExecutionProviders);

        // The options stay usable after the failed attempt.
        options.IntraOpThreads = 1;
        Assert.AreEqual(1, options.IntraOpThreads);
    }

    private static (nint Handle, string Path) Load(string? overridePath, IReadOnlyList<string> candidates)
    {
        Type loader = typeof(OrtEnvironment).Assembly.GetType("InceptionNeXt.ML.OnnxRuntime.OrtNativeLibrary", throwOnError: true)!;
        MethodInfo load = loader.GetMethod("Load", BindingFlags.NonPublic | BindingFlags.Static, [typeof(string), typeof(IReadOnlyList<string>), typeof(bool)])!;
        try
        {
            return ((nint, string))load.Invoke(null, [overridePath, candidates, false])!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }

    [TestMethod]
    public void MissingLibraryMessageListsWhatWasTriedAndTheFix()
    {
        var e = Assert.ThrowsExactly<DllNotFoundException>(() => Load(null, ["/nonexistent/a/libonnxruntime.so.1", "/nonexistent/b/libonnxruntime.so.1"]));
        StringAssert.Contains(e.Message, "/nonexistent/a/libonnxruntime.so.1 (not found)");
        StringAssert.Contains(e.Message, "/nonexistent/b/libonnxruntime.so.1 (not found)");
        StringAssert.Contains(e.Message, "scripts/setup.sh");
        StringAssert.Contains(e.Message, "INCEPTIONNEXT_ONNXRUNTIME_PATH");

        var env = Assert.ThrowsExactly<DllNotFoundException>(() => Load("/nonexistent/custom/libonnxruntime.so.1", []));
        StringAssert.Contains(env.Message, "INCEPTIONNEXT_ONNXRUNTIME_PATH is set to '/nonexistent/custom/libonnxruntime.so.1'");

        string notALibrary = Path.GetTempFileName();
        try
        {
            File.WriteAllText(notALibrary, "not a shared object");
            var bad = Assert.ThrowsExactly<DllNotFoundException>(() => Load(null, [notALibrary]));
            StringAssert.Contains(bad.Message, $"{notALibrary} (exists but failed to load");
            var badEnv = Assert.ThrowsExactly<DllNotFoundException>(() => Load(notALibrary, []));
            StringAssert.Contains(badEnv.Message, "could not be loaded as the ONNX Runtime native library");
        }
        finally
        {
            File.Delete(notALibrary);
        }
    }

    [TestMethod]
    public void LoaderPrefersTheEnvironmentVariableThenTheCandidatesInOrder()
    {
        string real = OrtEnvironment.Instance.NativeLibraryPath;
        Assert.AreEqual(real, Load(real, ["/nonexistent/libonnxruntime.so.1"]).Path);
        Assert.AreEqual(real, Load(null, ["/nonexistent/libonnxruntime.so.1", real]).Path);
    }
}
