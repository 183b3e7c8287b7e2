using InceptionNeXt.ML.OnnxRuntime;

namespace InceptionNeXt.Tests.OnnxRuntime;

[TestClass]
public sealed class InputValidationTests
{
    private static TestModels s_models = null!;
    private static InferenceSession s_conv = null!;
    private static InferenceSession s_two = null!;

    [ClassInitialize]
    public static void Init(TestContext context)
    {
        s_models = TestModels.Create();
        s_conv = new InferenceSession(s_models.Conv);
        s_two = new InferenceSession(s_models.Two);
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        s_conv?.Dispose();
        s_two?.Dispose();
        s_models?.Dispose();
    }

    private static ArgumentException AssertRejected(Action run, params string[] fragments)
    {
        var e = Assert.ThrowsExactly<ArgumentException>(run);
        foreach (string f in fragments)
        {
            StringAssert.Contains(e.Message, f);
        }

        return e;
    }

    [TestMethod]
    public void WrongFixedDimensionNamesInputExpectedAndActualShapes()
    {
        using var x = OrtTensor.Create(new float[1 * 3 * 4 * 4], 1, 3, 4, 4);
        var e = AssertRejected(() => s_conv.Run([new("x", x)]), "'x'", "[-1,3,8,8] (batch dynamic)", "[1,3,4,4]");
        Assert.AreEqual("Input 'x' expects [-1,3,8,8] (batch dynamic) but got [1,3,4,4]. (Parameter 'inputs')", e.Message);
        Assert.AreEqual("inputs", e.ParamName);
    }

    [TestMethod]
    public void WrongRankIsRejected()
    {
        using var x = OrtTensor.Create(new float[3 * 8 * 8], 3, 8, 8);
        AssertRejected(() => s_conv.Run([new("x", x)]), "'x'", "[-1,3,8,8]", "[3,8,8]", "rank 3 instead of 4");
    }

    [TestMethod]
    public void DynamicDimensionAcceptsAnySize()
    {
        using var x = OrtTensor.Create(new float[5 * 3 * 8 * 8], 5, 3, 8, 8);
        using OrtRunResults r = s_conv.Run([new("x", x)]);
        CollectionAssert.AreEqual(new long[] { 5, 4, 8, 8 }, r[0].Tensor.Shape.ToArray());
    }

    [TestMethod]
    public void UnknownInputNameListsTheModelsInputs()
    {
        using var x = OrtTensor.Create(new float[3 * 64], 1, 3, 8, 8);
        AssertRejected(() => s_conv.Run([new("pixel_values", x)]), "no input 'pixel_values'", "'x' Float [-1,3,8,8] (batch dynamic)");
    }

    [TestMethod]
    public void WrongElementTypeIsRejected()
    {
        using var x = OrtTensor.Create(new long[3 * 64], 1, 3, 8, 8);
        AssertRejected(() => s_conv.Run([new("x", x)]), "'x'", "expects Float", "got Int64");
        using var d = OrtTensor.Create(new double[3 * 64], 1, 3, 8, 8);
        AssertRejected(() => s_conv.Run([new("x", d)]), "expects Float", "got Double");
    }

    [TestMethod]
    public void MissingRepeatedAndExtraInputsAreRejected()
    {
        using var a = OrtTensor.Create(new float[6], 2, 3);
        AssertRejected(() => s_two.Run([new("a", a)]), "expects 2 input(s)", "got 1", "missing: 'b' [-1,3]");
        AssertRejected(() => s_two.Run([new("a", a), new("a", a)]), "'a' is given more than once");
        AssertRejected(() => s_two.Run([new("a", a), new("b", a), new("c", a)]), "no input 'c'");
        AssertRejected(() => s_two.Run([]), "expects 2 input(s)", "got 0");
        AssertRejected(() => s_two.Run([new("a", a), new("b", null!)]), "tensor for input 'b' is null");
        AssertRejected(() => s_two.Run([new(null!, a), new("b", a)]), "Input #0 has no name");
    }

    [TestMethod]
    public void OutputNamesAndPreBoundOutputsAreValidated()
    {
        using var a = OrtTensor.Create(new float[6], 2, 3);
        NamedTensor[] inputs = [new("a", a), new("b", a)];
        AssertRejected(() => s_two.Run(inputs, ["diff"]), "no output 'diff'", "'sum'", "'prod'");
        AssertRejected(() => s_two.Run(inputs, ["sum", "sum"]), "'sum' is requested more than once");
        AssertRejected(() => s_two.Run(inputs, ["sum", "prod", "sum"]), "more than once");
        AssertRejected(() => s_two.Run(inputs, Array.Empty<string>()), "At least one output");

        using var wrongShape = OrtTensor.Create(new float[8], 2, 4);
        AssertRejected(() => s_two.Run(inputs, [new NamedTensor("sum", wrongShape)]), "Output 'sum' expects [-1,3] (dim 0 dynamic) but got [2,4]");
        using var wrongType = OrtTensor.Create(new int[6], 2, 3);
        AssertRejected(() => s_two.Run(inputs, [new NamedTensor("prod", wrongType)]), "Output 'prod' expects Float", "got Int32");
        AssertRejected(() => s_two.Run(inputs, Array.Empty<NamedTensor>()), "At least one output tensor");

        // A dynamic dimension that differs from what the run produces is caught by ONNX Runtime itself.
        using var wrongBatch = OrtTensor.Create(new float[9], 3, 3);
        var e = Assert.ThrowsExactly<OnnxRuntimeException>(() => s_two.Run(inputs, [new NamedTensor("sum", wrongBatch)]));
        Assert.AreNotEqual(OrtErrorCode.Ok, e.ErrorCode);
        StringAssert.Contains(e.Message, "Running the model");
    }

    [TestMethod]
    public void PreBoundOutputWhoseSymbolicDimensionDisagreesWithTheInputIsRejected()
    {
        using var x = OrtTensor.Create(new float[2 * 3 * 64], 2, 3, 8, 8);
        using var y = OrtTensor.Create(new float[1 * 4 * 64], 1, 4, 8, 8);
        AssertRejected(
            () => s_conv.Run([new("x", x)], [new NamedTensor("y", y)]),
            "Output 'y' expects [-1,4,8,8] (batch dynamic) with batch = 2 (from input 'x' [2,3,8,8]) but got [1,4,8,8]");
    }

    [TestMethod]
    public void TensorCreationChecksShapeAgainstTheBuffer()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => OrtTensor.Create(new float[10], 1, 3, 8, 8));
        StringAssert.Contains(e.Message, "[1,3,8,8] has 192 elements, but the buffer holds 10");
        var negative = Assert.ThrowsExactly<ArgumentException>(() => OrtTensor.Create(new float[3], -1, 3));
        StringAssert.Contains(negative.Message, "non-negative");
        Assert.ThrowsExactly<ArgumentNullException>(() => OrtTensor.Create((float[])null!, 1));
        Assert.ThrowsExactly<NotSupportedException>(() => OrtTensor.Create(new char[2], 2));

        using var scalar = OrtTensor.Create(new float[] { 4f });
        Assert.AreEqual(0, scalar.Rank);
        Assert.AreEqual(1L, scalar.ElementCount);
        using var empty = OrtTensor.Create(Array.Empty<float>(), 2, 0, 3);
        Assert.AreEqual(0L, empty.ElementCount);
        Assert.AreEqual(0, empty.GetSpan<float>().Length);
    }

    private static TensorElementType TypeOf<T>()
        where T : unmanaged
    {
        using var t = OrtTensor.Create(new T[1], 1);
        return t.ElementType;
    }

    [TestMethod]
    public void EveryUnmanagedElementTypeMaps()
    {
        Assert.AreEqual(TensorElementType.Float, TypeOf<float>());
        Assert.AreEqual(TensorElementType.Double, TypeOf<double>());
        Assert.AreEqual(TensorElementType.Float16, TypeOf<Half>());
        Assert.AreEqual(TensorElementType.Int8, TypeOf<sbyte>());
        Assert.AreEqual(TensorElementType.UInt8, TypeOf<byte>());
        Assert.AreEqual(TensorElementType.Int16, TypeOf<short>());
        Assert.AreEqual(TensorElementType.UInt16, TypeOf<ushort>());
        Assert.AreEqual(TensorElementType.Int32, TypeOf<int>());
        Assert.AreEqual(TensorElementType.UInt32, TypeOf<uint>());
        Assert.AreEqual(TensorElementType.Int64, TypeOf<long>());
        Assert.AreEqual(TensorElementType.UInt64, TypeOf<ulong>());
        Assert.AreEqual(TensorElementType.Bool, TypeOf<bool>());
        Assert.AreEqual(11, (int)TensorElementType.Double);
        Assert.AreEqual(16, (int)TensorElementType.BFloat16);
    }
}
