using InceptionNeXt.ML.OnnxRuntime;

namespace InceptionNeXt.Tests.OnnxRuntime;

[TestClass]
public sealed class ModelLoadingTests
{
    private static TestModels s_models = null!;

    [ClassInitialize]
    public static void Init(TestContext context) => s_models = TestModels.Create();

    [ClassCleanup]
    public static void Cleanup() => s_models?.Dispose();

    [TestMethod]
    public void MissingFileThrowsFileNotFoundNamingIt()
    {
        string missing = Path.Combine(s_models.Dir, "does-not-exist.onnx");
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => new InferenceSession(missing));
        Assert.AreEqual(missing, e.FileName);
        StringAssert.Contains(e.Message, missing);
        Assert.ThrowsExactly<ArgumentException>(() => new InferenceSession(string.Empty));
        Assert.ThrowsExactly<FileNotFoundException>(() => new InferenceSession(s_models.Dir));
    }

    [TestMethod]
    [DataRow("random")]
    [DataRow("empty")]
    [DataRow("truncated")]
    [DataRow("text")]
    public void CorruptFileThrowsOnnxRuntimeExceptionNamingTheFile(string kind)
    {
        byte[] model = File.ReadAllBytes(s_models.Conv);
        byte[] bytes = kind switch
        {
            "random" => RandomBytes(4096),
            "empty" => [],
            "truncated" => model[..(model.Length / 2)],
            _ => System.Text.Encoding.UTF8.GetBytes("this is not an ONNX model\n"),
        };
        string path = Path.Combine(s_models.Dir, $"corrupt-{kind}.onnx");
        File.WriteAllBytes(path, bytes);

        var e = Assert.ThrowsExactly<OnnxRuntimeException>(() => new InferenceSession(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.StartsWith(e.Message, "Failed to load the ONNX model");
        Assert.AreNotEqual(OrtErrorCode.Ok, e.ErrorCode);
        Assert.IsFalse(string.IsNullOrWhiteSpace(e.RuntimeMessage));
        StringAssert.Contains(e.Message, e.RuntimeMessage.Trim());

        var fromMemory = Assert.ThrowsExactly<OnnxRuntimeException>(() => new InferenceSession(bytes));
        StringAssert.Contains(fromMemory.Message, $"from memory ({bytes.Length} bytes)");
    }

    [TestMethod]
    public void ManySessionsCanBeCreatedAndReleased()
    {
        byte[] model = File.ReadAllBytes(s_models.Two);
        using var a = OrtTensor.Create(new float[] { 1, 2, 3 }, 1, 3);
        for (int i = 0; i < 50; i++)
        {
            using var session = new InferenceSession(model);
            using OrtRunResults r = session.Run([new("a", a), new("b", a)], ["sum"]);
            CollectionAssert.AreEqual(new float[] { 2, 4, 6 }, r[0].Tensor.ToArray<float>());
        }
    }

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(42).NextBytes(bytes);
        return bytes;
    }
}
