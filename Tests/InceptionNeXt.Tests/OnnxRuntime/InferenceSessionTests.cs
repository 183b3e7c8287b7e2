using InceptionNeXt.ML.OnnxRuntime;

namespace InceptionNeXt.Tests.OnnxRuntime;

[TestClass]
public sealed class InferenceSessionTests
{
    private static TestModels s_models = null!;

    [ClassInitialize]
    public static void Init(TestContext context) => s_models = TestModels.Create();

    [ClassCleanup]
    public static void Cleanup() => s_models?.Dispose();

    [TestMethod]
    public void MetadataReportsNamesTypesAndDynamicDimensions()
    {
        using var session = new InferenceSession(s_models.Conv);
        Assert.AreEqual(s_models.Conv, session.ModelPath);
        Assert.HasCount(1, session.InputMetadata);
        NodeMetadata x = session.InputMetadata[0];
        Assert.AreEqual("x", x.Name);
        Assert.IsTrue(x.IsTensor);
        Assert.AreEqual(TensorElementType.Float, x.ElementType);
        CollectionAssert.AreEqual(new long[] { -1, 3, 8, 8 }, x.Dimensions);
        CollectionAssert.AreEqual(new[] { "batch", "", "", "" }, x.SymbolicDimensions);
        Assert.AreEqual(4, x.Rank);
        Assert.IsTrue(x.HasDynamicDimensions);
        Assert.AreEqual("[-1,3,8,8] (batch dynamic)", x.DescribeShape());

        NodeMetadata y = session.OutputMetadata.Single();
        Assert.AreEqual("y", y.Name);
        CollectionAssert.AreEqual(new long[] { -1, 4, 8, 8 }, y.Dimensions);
        CollectionAssert.AreEqual(new[] { "batch", "", "", "" }, y.SymbolicDimensions);
        CollectionAssert.AreEqual(new[] { "x" }, session.InputNames.ToArray());
        CollectionAssert.AreEqual(new[] { "y" }, session.OutputNames.ToArray());

        // The initializers W and B are not inputs; the returned arrays are copies.
        x.Dimensions[0] = 42;
        Assert.AreEqual(-1, x.Dimensions[0]);
    }

    [TestMethod]
    public void UnnamedDynamicDimensionAndIntegerTypesAreReported()
    {
        using var two = new InferenceSession(s_models.Two);
        CollectionAssert.AreEqual(new[] { "a", "b" }, two.InputNames.ToArray());
        CollectionAssert.AreEqual(new[] { "sum", "prod" }, two.OutputNames.ToArray());
        CollectionAssert.AreEqual(new long[] { -1, 3 }, two.InputMetadata[0].Dimensions);
        CollectionAssert.AreEqual(new[] { "", "" }, two.InputMetadata[0].SymbolicDimensions);
        Assert.AreEqual("[-1,3] (dim 0 dynamic)", two.InputMetadata[0].DescribeShape());

        using var typed = new InferenceSession(s_models.Typed);
        Assert.AreEqual(TensorElementType.Int64, typed.InputMetadata[0].ElementType);
        Assert.AreEqual(TensorElementType.UInt8, typed.InputMetadata[1].ElementType);
        Assert.AreEqual(TensorElementType.Float, typed.OutputMetadata[0].ElementType);
        CollectionAssert.AreEqual(new[] { "n" }, typed.InputMetadata[1].SymbolicDimensions);
    }

    [TestMethod]
    public void ModelMetadataIncludesCustomProperties()
    {
        using var session = new InferenceSession(s_models.Conv);
        ModelMetadata meta = session.ModelMetadata;
        Assert.AreEqual("inx-test", meta.ProducerName);
        Assert.AreEqual("tiny_conv", meta.GraphName);
        Assert.AreEqual("graph doc", meta.GraphDescription);
        Assert.AreEqual("A tiny conv net for binding tests", meta.Description);
        Assert.AreEqual("ai.inceptionnext.test", meta.Domain);
        Assert.AreEqual(7L, meta.Version);
        Assert.HasCount(2, meta.CustomMetadata);
        Assert.AreEqual("cat,dog,bird,fish", meta.CustomMetadata["labels"]);
        Assert.AreEqual("inceptionnext", meta.CustomMetadata["author"]);

        using var two = new InferenceSession(s_models.Two);
        Assert.IsEmpty(two.ModelMetadata.CustomMetadata);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void RunMatchesNumpy(int batch)
    {
        using var session = new InferenceSession(s_models.Conv);
        float[] x = s_models.Input(batch);
        using var input = OrtTensor.Create(x, batch, 3, 8, 8);
        using OrtRunResults results = session.Run([new NamedTensor("x", input)]);
        Assert.HasCount(1, results);
        Assert.AreEqual("y", results[0].Name);
        OrtTensor y = results["y"];
        Assert.IsTrue(y.IsRuntimeOwned);
        Assert.AreEqual(TensorElementType.Float, y.ElementType);
        CollectionAssert.AreEqual(new long[] { batch, 4, 8, 8 }, y.Shape.ToArray());
        Assert.AreEqual(batch * 4L * 8 * 8, y.ElementCount);
        TestModels.AssertClose(s_models.Expected(batch), y.GetSpan<float>());
        TestModels.AssertClose(s_models.Expected(batch), y.ToArray<float>());
    }

    [TestMethod]
    public void InputsAreZeroCopy_MutatingTheCallerArrayChangesTheNextRun()
    {
        using var session = new InferenceSession(s_models.Conv);
        float[] x = s_models.Input(1);
        using var input = OrtTensor.Create(x, 1, 3, 8, 8);
        Assert.IsFalse(input.IsRuntimeOwned);
        using (OrtRunResults first = session.Run([new("x", input)]))
        {
            TestModels.AssertClose(s_models.Expected(1), first[0].Tensor.GetSpan<float>());
        }

        // The tensor wraps the array itself: its span is the array, and writes to the array reach ONNX Runtime.
        input.GetSpan<float>()[0] = 123f;
        Assert.AreEqual(123f, x[0]);
        Array.Clear(x);
        using OrtRunResults second = session.Run([new("x", input)]);

        // Relu(Conv(0)) + B == B broadcast over the 8x8 plane.
        float[] bias = s_models.Bias;
        float[] expected = Enumerable.Range(0, 4 * 64).Select(i => bias[i / 64]).ToArray();
        TestModels.AssertClose(expected, second[0].Tensor.GetSpan<float>());
    }

    [TestMethod]
    public void MemoryOverASliceIsUsedInPlace()
    {
        using var session = new InferenceSession(s_models.Conv);
        float[] x = s_models.Input(1);
        var padded = new float[x.Length + 10];
        x.CopyTo(padded, 5);
        using var input = OrtTensor.Create(padded.AsMemory(5, x.Length), 1, 3, 8, 8);
        using OrtRunResults results = session.Run([new("x", input)]);
        TestModels.AssertClose(s_models.Expected(1), results[0].Tensor.GetSpan<float>());
    }

    [TestMethod]
    public void PreBoundOutputsAreWrittenIntoCallerBuffersWithoutAllocating()
    {
        using var session = new InferenceSession(s_models.Conv);
        float[] x = s_models.Input(2);
        var y = new float[2 * 4 * 8 * 8];
        using var input = OrtTensor.Create(x, 2, 3, 8, 8);
        using var output = OrtTensor.Create(y, 2, 4, 8, 8);
        NamedTensor[] inputs = [new("x", input)];
        NamedTensor[] outputs = [new("y", output)];

        session.Run(inputs, outputs);
        TestModels.AssertClose(s_models.Expected(2), y);

        // Same buffers again after changing the input in place.
        float[] batch1 = s_models.Input(1);
        batch1.CopyTo(x, 0);
        batch1.CopyTo(x, batch1.Length);
        Array.Clear(y);
        session.Run(inputs, outputs);
        float[] expected1 = s_models.Expected(1);
        TestModels.AssertClose(expected1, y.AsSpan(0, expected1.Length));
        TestModels.AssertClose(expected1, y.AsSpan(expected1.Length));

        // Warm, the pre-bound path allocates nothing managed per call.
        for (int i = 0; i < 10; i++)
        {
            session.Run(inputs, outputs);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 200; i++)
        {
            session.Run(inputs, outputs);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsLessThan(1024L, allocated, $"200 pre-bound runs allocated {allocated} bytes");
    }

    [TestMethod]
    public void TwoOutputsAllOrSelectedByName()
    {
        using var session = new InferenceSession(s_models.Two);
        float[] a = [1, 2, 3, 4, 5, 6];
        float[] b = [10, 20, 30, 40, 50, 60];
        using var ta = OrtTensor.Create(a, 2, 3);
        using var tb = OrtTensor.Create(b, 2, 3);

        // Inputs in any order.
        using (OrtRunResults all = session.Run([new("b", tb), new("a", ta)]))
        {
            CollectionAssert.AreEqual(new[] { "sum", "prod" }, all.Select(r => r.Name).ToArray());
            CollectionAssert.AreEqual(new float[] { 11, 22, 33, 44, 55, 66 }, all["sum"].ToArray<float>());
            CollectionAssert.AreEqual(new float[] { 10, 40, 90, 160, 250, 360 }, all["prod"].ToArray<float>());
            var missing = Assert.ThrowsExactly<KeyNotFoundException>(() => all["nope"]);
            StringAssert.Contains(missing.Message, "'sum'");
        }

        using (OrtRunResults one = session.Run([new("a", ta), new("b", tb)], ["prod"]))
        {
            Assert.HasCount(1, one);
            Assert.AreEqual("prod", one[0].Name);
            CollectionAssert.AreEqual(new long[] { 2, 3 }, one[0].Tensor.Shape.ToArray());
        }

        // A pre-bound subset of the outputs.
        var prod = new float[6];
        using var tprod = OrtTensor.Create(prod, 2, 3);
        session.Run([new("a", ta), new("b", tb)], [new NamedTensor("prod", tprod)]);
        CollectionAssert.AreEqual(new float[] { 10, 40, 90, 160, 250, 360 }, prod);
    }

    [TestMethod]
    public void Int64AndByteInputs()
    {
        using var session = new InferenceSession(s_models.Typed);
        long[] ids = [5, -7, 1_000_000, 3];
        byte[] mask = [1, 0, 1, 255];
        using var tids = OrtTensor.Create(ids, 4);
        using var tmask = OrtTensor.Create(mask, 4);
        Assert.AreEqual(TensorElementType.Int64, tids.ElementType);
        Assert.AreEqual(TensorElementType.UInt8, tmask.ElementType);
        using OrtRunResults results = session.Run([new("ids", tids), new("mask", tmask)]);
        CollectionAssert.AreEqual(new float[] { 5, 0, 1_000_000, 765 }, results[0].Tensor.ToArray<float>());
    }

    [TestMethod]
    public void SessionsFromBytesAndMemoryMatchTheFile()
    {
        byte[] bytes = File.ReadAllBytes(s_models.Conv);
        float[] x = s_models.Input(1);
        using var input = OrtTensor.Create(x, 1, 3, 8, 8);
        using var fromArray = new InferenceSession(bytes);
        using var fromMemory = new InferenceSession(new ReadOnlyMemory<byte>(bytes));
        Assert.IsNull(fromArray.ModelPath);
        Assert.AreEqual("inx-test", fromMemory.ModelMetadata.ProducerName);
        using OrtRunResults r1 = fromArray.Run([new("x", input)]);
        using OrtRunResults r2 = fromMemory.Run([new("x", input)]);
        TestModels.AssertClose(s_models.Expected(1), r1[0].Tensor.GetSpan<float>());
        TestModels.AssertClose(s_models.Expected(1), r2[0].Tensor.GetSpan<float>());
    }

    [TestMethod]
    [DataRow(GraphOptimizationLevel.Disabled, ExecutionMode.Sequential, 1, 1, false)]
    [DataRow(GraphOptimizationLevel.Basic, ExecutionMode.Parallel, 2, 2, true)]
    [DataRow(GraphOptimizationLevel.Extended, ExecutionMode.Sequential, 0, 0, true)]
    [DataRow(GraphOptimizationLevel.All, ExecutionMode.Parallel, 4, 0, false)]
    public void SessionOptionsAreAppliedAndResultsStayCorrect(
        GraphOptimizationLevel level, ExecutionMode mode, int intra, int inter, bool arena)
    {
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = level,
            ExecutionMode = mode,
            IntraOpThreads = intra,
            InterOpThreads = inter,
            EnableCpuMemArena = arena,
        };
        Assert.AreEqual(level, options.GraphOptimizationLevel);
        Assert.AreEqual(mode, options.ExecutionMode);
        Assert.AreEqual(intra, options.IntraOpThreads);
        Assert.AreEqual(inter, options.InterOpThreads);
        Assert.AreEqual(arena, options.EnableCpuMemArena);
        Assert.IsEmpty(options.ExecutionProviders);
        using var session = new InferenceSession(s_models.Conv, options);
        options.Dispose(); // the session keeps its own copy
        using var input = OrtTensor.Create(s_models.Input(2), 2, 3, 8, 8);
        using OrtRunResults results = session.Run([new("x", input)]);
        TestModels.AssertClose(s_models.Expected(2), results[0].Tensor.GetSpan<float>());
    }

    [TestMethod]
    public void InvalidOptionValuesAreRejected()
    {
        using var options = new SessionOptions();
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.IntraOpThreads = -1);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.InterOpThreads = -2);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.GraphOptimizationLevel = (GraphOptimizationLevel)5);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.ExecutionMode = (ExecutionMode)7);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => options.AppendCudaProvider(-1));
    }

    [TestMethod]
    public void SixteenThreadsRunConcurrentlyWithIdenticalResults()
    {
        using var session = new InferenceSession(s_models.Conv);
        float[] x = s_models.Input(2);
        using var shared = OrtTensor.Create(x, 2, 3, 8, 8);
        float[] reference;
        using (OrtRunResults r = session.Run([new("x", shared)]))
        {
            reference = r[0].Tensor.ToArray<float>();
        }

        TestModels.AssertClose(s_models.Expected(2), reference);
        const int threads = 16;
        const int iterations = 40;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                var y = new float[reference.Length];
                using var output = OrtTensor.Create(y, 2, 4, 8, 8);
                start.SignalAndWait();
                for (int i = 0; i < iterations; i++)
                {
                    // Alternate ORT-allocated and pre-bound outputs, all sharing one input tensor.
                    if ((i + t) % 2 == 0)
                    {
                        using OrtRunResults r = session.Run([new("x", shared)]);
                        if (!r[0].Tensor.GetSpan<float>().SequenceEqual(reference))
                        {
                            failures.Enqueue($"thread {t} iteration {i}: allocated output differs");
                        }
                    }
                    else
                    {
                        Array.Clear(y);
                        session.Run([new("x", shared)], [new NamedTensor("y", output)]);
                        if (!y.AsSpan().SequenceEqual(reference))
                        {
                            failures.Enqueue($"thread {t} iteration {i}: pre-bound output differs");
                        }
                    }
                }
            }
            catch (Exception e)
            {
                failures.Enqueue($"thread {t}: {e}");
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        Assert.IsEmpty(failures, string.Join("\n", failures.Take(5)));
    }

    [TestMethod]
    public void DisposeIsIdempotentAndUseAfterDisposeThrows()
    {
        var session = new InferenceSession(s_models.Conv);
        var input = OrtTensor.Create(s_models.Input(1), 1, 3, 8, 8);
        OrtRunResults results = session.Run([new("x", input)]);
        OrtTensor y = results[0].Tensor;

        results.Dispose();
        results.Dispose();
        Assert.IsTrue(y.IsDisposed);
        Assert.ThrowsExactly<ObjectDisposedException>(() => y.GetSpan<float>());
        Assert.ThrowsExactly<ObjectDisposedException>(() => y.ToArray<float>());

        input.Dispose();
        input.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => input.GetSpan<float>());
        Assert.ThrowsExactly<ObjectDisposedException>(() => session.Run([new("x", input)]));

        using var fresh = OrtTensor.Create(s_models.Input(1), 1, 3, 8, 8);
        session.Dispose();
        session.Dispose();
        Assert.IsTrue(session.IsDisposed);
        Assert.ThrowsExactly<ObjectDisposedException>(() => session.Run([new("x", fresh)]));
        Assert.ThrowsExactly<ObjectDisposedException>(() => session.Run([new("x", fresh)], ["y"]));
        Assert.ThrowsExactly<ObjectDisposedException>(() => session.Run([new("x", fresh)], [new NamedTensor("y", fresh)]));

        // Metadata was read eagerly and stays available.
        Assert.AreEqual("x", session.InputMetadata[0].Name);

        var options = new SessionOptions();
        options.Dispose();
        options.Dispose();
        Assert.ThrowsExactly<ObjectDisposedException>(() => options.IntraOpThreads = 2);
        Assert.ThrowsExactly<ObjectDisposedException>(() => new InferenceSession(s_models.Conv, options));
    }

    [TestMethod]
    public void ReadingATensorAsTheWrongTypeThrows()
    {
        using var t = OrtTensor.Create(new float[6], 2, 3);
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => t.GetSpan<long>());
        StringAssert.Contains(e.Message, "Float");
        StringAssert.Contains(e.Message, "Int64");
        Assert.AreEqual("OrtTensor<Float>[2,3]", t.ToString());
    }
}
