using InceptionNeXt.Training.LibTorch;

namespace InceptionNeXt.Tests.LibTorch;

/// <summary>The libtorch binding: data transfer, metadata, arithmetic, errors, lifetime, autograd and settings.</summary>
[TestClass]
public sealed class TensorTests
{
    private static void AssertSequence(float[] expected, float[] actual, double tolerance = 1e-6, string what = "")
    {
        Assert.AreEqual(expected.Length, actual.Length, $"{what}: length");
        for (var i = 0; i < expected.Length; i++)
            Assert.AreEqual(expected[i], actual[i], tolerance, $"{what}: element {i}");
    }

    [TestMethod]
    public void FromArrayToFloatArrayRoundTripsValuesShapeTypeAndDevice()
    {
        float[] data = [1.5f, -2.25f, 3e-8f, 4e7f, float.MaxValue, -0f];
        using var t = Torch.FromArray(data, [2, 3]);
        CollectionAssert.AreEqual(new long[] { 2, 3 }, t.Shape);
        Assert.AreEqual(2, t.Dim);
        Assert.AreEqual(6L, t.Numel);
        Assert.AreEqual(3L, t.Size(-1));
        Assert.AreEqual(ScalarType.Float32, t.DType);
        Assert.AreEqual(Device.Cpu, t.Device);
        Assert.IsTrue(t.IsContiguous);
        Assert.IsFalse(t.RequiresGrad);
        CollectionAssert.AreEqual(data, t.ToFloatArray());

        long[] ints = [long.MinValue, -1, 0, 1L << 40];
        using var i = Torch.FromArray(ints, [4]);
        Assert.AreEqual(ScalarType.Int64, i.DType);
        CollectionAssert.AreEqual(ints, i.ToLongArray());
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => t.Size(2));
    }

    [TestMethod]
    public void FromArrayRejectsDataThatDoesNotFillTheShape()
    {
        Assert.ThrowsExactly<TorchException>(() => Torch.FromArray([1f, 2f, 3f], [2, 2]));
    }

    [TestMethod]
    public void ConversionsChangeTypeAndTransposeIsNotContiguous()
    {
        using var t = Torch.FromArray([1.7f, -2.2f, 3.5f, 4.0f], [2, 2]);
        using var d = t.To(ScalarType.Float64);
        Assert.AreEqual(ScalarType.Float64, d.DType);
        CollectionAssert.AreEqual(new double[] { 1.7f, -2.2f, 3.5f, 4.0f }, d.ToArray<double>(ScalarType.Float64));
        using var l = t.To(ScalarType.Int64);
        CollectionAssert.AreEqual(new long[] { 1, -2, 3, 4 }, l.ToLongArray());
        using var tr = t.Transpose(0, 1);
        Assert.IsFalse(tr.IsContiguous);
        CollectionAssert.AreEqual(new[] { 1.7f, 3.5f, -2.2f, 4.0f }, tr.ToFloatArray());
        using var c = tr.Contiguous();
        Assert.IsTrue(c.IsContiguous);
    }

    [TestMethod]
    public void ArithmeticMatchesHandComputedValues()
    {
        using var a = Torch.FromArray([1f, 2f, 3f, 4f], [2, 2]);
        using var b = Torch.FromArray([10f, 20f], [2]); // broadcast over rows
        using var sum = a + b;
        using var diff = a - b;
        using var prod = a * b;
        using var quot = b / a;
        using var scaled = a * 2.5 + 1;
        using var rsub = 10 - a;
        using var neg = -a;
        using var sq = a.Square();
        using var sqrt = a.Sqrt();
        using var exp = a.Exp();
        using var pow = a.Pow(3);
        using var clamped = a.Clamp(1.5, 3.5);
        using var mm = a.MatMul(a);
        AssertSequence([11, 22, 13, 24], sum.ToFloatArray(), what: "add");
        AssertSequence([-9, -18, -7, -16], diff.ToFloatArray(), what: "sub");
        AssertSequence([10, 40, 30, 80], prod.ToFloatArray(), what: "mul");
        AssertSequence([10, 10, 10f / 3, 5], quot.ToFloatArray(), 1e-5, "div");
        AssertSequence([3.5f, 6, 8.5f, 11], scaled.ToFloatArray(), what: "scalar");
        AssertSequence([9, 8, 7, 6], rsub.ToFloatArray(), what: "rsub");
        AssertSequence([-1, -2, -3, -4], neg.ToFloatArray(), what: "neg");
        AssertSequence([1, 4, 9, 16], sq.ToFloatArray(), what: "square");
        AssertSequence([1, MathF.Sqrt(2), MathF.Sqrt(3), 2], sqrt.ToFloatArray(), 1e-6, "sqrt");
        AssertSequence([MathF.E, MathF.Exp(2), MathF.Exp(3), MathF.Exp(4)], exp.ToFloatArray(), 1e-4, "exp");
        AssertSequence([1, 8, 27, 64], pow.ToFloatArray(), 1e-4, "pow");
        AssertSequence([1.5f, 2, 3, 3.5f], clamped.ToFloatArray(), what: "clamp");
        // [[1,2],[3,4]]^2 = [[7,10],[15,22]]
        AssertSequence([7, 10, 15, 22], mm.ToFloatArray(), what: "matmul");
        using var gt = a.Gt(b);
        Assert.AreEqual(ScalarType.Bool, gt.DType);
        CollectionAssert.AreEqual(new long[] { 0, 0, 0, 0 }, gt.ToLongArray());
    }

    [TestMethod]
    public void SplitAndCatAreInverse()
    {
        using var t = Torch.FromArray(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), [2, 6]);
        var parts = t.Split([1, 2, 3], 1);
        try
        {
            Assert.HasCount(3, parts);
            CollectionAssert.AreEqual(new long[] { 2, 1 }, parts[0].Shape);
            CollectionAssert.AreEqual(new long[] { 2, 2 }, parts[1].Shape);
            CollectionAssert.AreEqual(new long[] { 2, 3 }, parts[2].Shape);
            CollectionAssert.AreEqual(new float[] { 0, 6 }, parts[0].ToFloatArray());
            CollectionAssert.AreEqual(new float[] { 1, 2, 7, 8 }, parts[1].ToFloatArray());
            CollectionAssert.AreEqual(new float[] { 3, 4, 5, 9, 10, 11 }, parts[2].ToFloatArray());
            using var back = Torch.Cat(parts, 1);
            CollectionAssert.AreEqual(t.ToFloatArray(), back.ToFloatArray());
            using var rows = Torch.Cat([parts[2], parts[2]], 0);
            CollectionAssert.AreEqual(new long[] { 4, 3 }, rows.Shape);
            CollectionAssert.AreEqual(new float[] { 3, 4, 5, 9, 10, 11, 3, 4, 5, 9, 10, 11 }, rows.ToFloatArray());
            using var stacked = Torch.Stack([parts[0], parts[0]], 0);
            CollectionAssert.AreEqual(new long[] { 2, 2, 1 }, stacked.Shape);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
        Assert.ThrowsExactly<TorchException>(() => t.Split([1, 2], 1)); // sizes must add up to 6
    }

    [TestMethod]
    public void ReductionsMatchHandComputedValues()
    {
        // [[1, -2, 3], [4, 5, -6]]
        using var t = Torch.FromArray([1f, -2f, 3f, 4f, 5f, -6f], [2, 3]);
        using var sum = t.Sum();
        using var mean = t.Mean();
        using var rowSum = t.Sum([1]);
        using var colMean = t.Mean([0], keepDim: true);
        using var max = t.Amax();
        using var min = t.Amin([1]);
        using var argmax = t.Argmax(1);
        Assert.AreEqual(5.0, sum.Item(), 1e-6);
        Assert.AreEqual(5.0 / 6, mean.Item(), 1e-6);
        Assert.AreEqual(0, sum.Dim);
        CollectionAssert.AreEqual(new float[] { 2, 3 }, rowSum.ToFloatArray());
        CollectionAssert.AreEqual(new long[] { 1, 3 }, colMean.Shape);
        AssertSequence([2.5f, 1.5f, -1.5f], colMean.ToFloatArray(), what: "column mean");
        Assert.AreEqual(5.0, max.Item());
        CollectionAssert.AreEqual(new float[] { -2, -6 }, min.ToFloatArray());
        CollectionAssert.AreEqual(new long[] { 2, 1 }, argmax.ToLongArray());
        var (values, indices) = t.TopK(2);
        using (values)
        using (indices)
        {
            CollectionAssert.AreEqual(new float[] { 3, 1, 5, 4 }, values.ToFloatArray());
            CollectionAssert.AreEqual(new long[] { 2, 0, 1, 0 }, indices.ToLongArray());
        }
    }

    [TestMethod]
    public void MatMulShapeErrorSurfacesAsTorchExceptionAndTheProcessKeepsWorking()
    {
        using var a = Torch.Ones([2, 3]);
        using var b = Torch.Ones([4, 5]);
        var e = Assert.ThrowsExactly<TorchException>(() => a.MatMul(b));
        StringAssert.Contains(e.Message, "shapes", $"libtorch's message: {e.Message}");
        StringAssert.Contains(e.Message, "2x3", $"libtorch's message: {e.Message}");

        using var c = Torch.Full([3, 2], 2);
        using var ok = a.MatMul(c);
        CollectionAssert.AreEqual(new float[] { 6, 6, 6, 6 }, ok.ToFloatArray());
    }

    [TestMethod]
    public void ConvolutionWithWrongWeightShapeSurfacesAsTorchException()
    {
        using var x = Torch.Ones([1, 3, 8, 8]);
        using var w = Torch.Ones([4, 5, 3, 3]); // expects 3 input channels
        var e = Assert.ThrowsExactly<TorchException>(() => Functional.Conv2d(x, w, null, (1, 1), (0, 0), (1, 1)));
        StringAssert.Contains(e.Message, "channels", $"libtorch's message: {e.Message}");

        using var good = Torch.Ones([4, 3, 3, 3]);
        using var y = Functional.Conv2d(x, good, null, (1, 1), (0, 0), (1, 1));
        CollectionAssert.AreEqual(new long[] { 1, 4, 6, 6 }, y.Shape);
        Assert.AreEqual(27.0, y.ToFloatArray()[0], 1e-5);
    }

    [TestMethod]
    public void ADisposedTensorThrowsObjectDisposedException()
    {
        var t = Torch.Ones([2]);
        Assert.IsFalse(t.IsDisposed);
        t.Dispose();
        Assert.IsTrue(t.IsDisposed);
        Assert.AreEqual("Tensor(disposed)", t.ToString());
        Assert.ThrowsExactly<ObjectDisposedException>(() => t.ToFloatArray());
        Assert.ThrowsExactly<ObjectDisposedException>(() => _ = t.Shape);
        using var other = Torch.Ones([2]);
        Assert.ThrowsExactly<ObjectDisposedException>(() => other.Add(t));
        t.Dispose(); // idempotent
    }

    [TestMethod]
    public void DisposeScopeDisposesTensorsCreatedInsideIt()
    {
        Assert.IsNull(DisposeScope.Current);
        using var outside = Torch.Ones([3]);
        Tensor a, b, kept;
        using (var scope = Torch.NewDisposeScope())
        {
            Assert.AreSame(scope, DisposeScope.Current);
            a = Torch.Ones([3]);
            b = a + outside;
            kept = (b * 2).MoveToOuterDisposeScope();
            Assert.AreEqual(2, scope.Count); // a and b; the product moved out
        }
        Assert.IsNull(DisposeScope.Current);
        Assert.IsTrue(a.IsDisposed);
        Assert.IsTrue(b.IsDisposed);
        Assert.IsFalse(kept.IsDisposed, "moved to the outer (no) scope");
        Assert.IsFalse(outside.IsDisposed, "created before the scope");
        CollectionAssert.AreEqual(new float[] { 4, 4, 4 }, kept.ToFloatArray());
        kept.Dispose();
    }

    [TestMethod]
    public void NestedDisposeScopesMoveTensorsOneLevelOut()
    {
        Tensor inner, movedOnce, detached;
        using (var outer = Torch.NewDisposeScope())
        {
            using (var nested = Torch.NewDisposeScope())
            {
                Assert.AreSame(nested, DisposeScope.Current);
                inner = Torch.Zeros([1]);
                movedOnce = Torch.Ones([1]).MoveToOuterDisposeScope();
                detached = Torch.Full([1], 5).DetachFromDisposeScope();
                Assert.AreEqual(1, nested.Count);
            }
            Assert.AreSame(outer, DisposeScope.Current);
            Assert.IsTrue(inner.IsDisposed);
            Assert.IsFalse(movedOnce.IsDisposed, "survives the inner scope");
            Assert.AreEqual(1, outer.Count);
            Assert.AreEqual(1.0, movedOnce.Item());
        }
        Assert.IsTrue(movedOnce.IsDisposed, "the outer scope disposes it");
        Assert.IsFalse(detached.IsDisposed);
        Assert.AreEqual(5.0, detached.Item());
        detached.Dispose();
    }

    [TestMethod]
    public void TensorDisposedEarlyLeavesItsScope()
    {
        using var scope = Torch.NewDisposeScope();
        var t = Torch.Ones([1]);
        Assert.AreEqual(1, scope.Count);
        t.Dispose();
        Assert.AreEqual(0, scope.Count);
    }

    [TestMethod]
    public void NoGradDisablesAndRestoresGradMode()
    {
        Assert.IsTrue(Torch.IsGradEnabled);
        using var x = Torch.Ones([2], requiresGrad: true);
        using (Torch.NoGrad())
        {
            Assert.IsFalse(Torch.IsGradEnabled);
            using var y = x * 3;
            Assert.IsFalse(y.RequiresGrad, "no graph under NoGrad");
            using (Torch.SetGradEnabled(true))
            {
                Assert.IsTrue(Torch.IsGradEnabled);
            }
            Assert.IsFalse(Torch.IsGradEnabled, "inner guard restores the outer mode");
        }
        Assert.IsTrue(Torch.IsGradEnabled);
        using var z = x * 3;
        Assert.IsTrue(z.RequiresGrad);
    }

    [TestMethod]
    public void BackwardComputesTheGradientOfSumOfSquares()
    {
        float[] values = [1f, -2f, 0.5f, 3f];
        using var x = Torch.FromArray(values, [2, 2]);
        x.RequiresGrad = true;
        Assert.IsNull(x.Grad);
        using (var scope = Torch.NewDisposeScope())
        {
            var loss = (x * x).Sum();
            Assert.AreEqual(1 + 4 + 0.25 + 9, loss.Item(), 1e-6);
            loss.Backward();
        }
        using var grad = x.Grad ?? throw new AssertFailedException("no gradient");
        CollectionAssert.AreEqual(values.Select(v => 2 * v).ToArray(), grad.ToFloatArray());

        // A second backward accumulates.
        using (var scope = Torch.NewDisposeScope())
            (x * x).Sum().Backward();
        using var twice = x.Grad!;
        CollectionAssert.AreEqual(values.Select(v => 4 * v).ToArray(), twice.ToFloatArray());
    }

    [TestMethod]
    public void ManualSeedMakesRandomNumbersReproducible()
    {
        Torch.ManualSeed(1234);
        using var a = Torch.Randn([64]);
        using var a2 = Torch.Randn([64]);
        Torch.ManualSeed(1234);
        using var b = Torch.Randn([64]);
        Torch.ManualSeed(4321);
        using var c = Torch.Randn([64]);
        CollectionAssert.AreEqual(a.ToFloatArray(), b.ToFloatArray());
        CollectionAssert.AreNotEqual(a.ToFloatArray(), a2.ToFloatArray());
        CollectionAssert.AreNotEqual(a.ToFloatArray(), c.ToFloatArray());
        // Standard normal: sample mean near 0 and std near 1 for 64 draws.
        var v = a.ToFloatArray();
        Assert.AreEqual(0, v.Average(), 0.5);
        Assert.IsTrue(v.Any(x => x < 0) && v.Any(x => x > 0));
    }

    [TestMethod]
    public void NumThreadsCanBeSetAndRead()
    {
        var before = Torch.NumThreads;
        try
        {
            Torch.NumThreads = 1;
            Assert.AreEqual(1, Torch.NumThreads);
            Torch.NumThreads = 2;
            Assert.AreEqual(2, Torch.NumThreads);
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Torch.NumThreads = 0);
        }
        finally
        {
            Torch.NumThreads = before;
        }
    }

    [TestMethod]
    public void DeviceParsing()
    {
        Assert.AreEqual(Device.Cuda(1), Device.Parse("cuda:1"));
        Assert.AreEqual(DeviceType.Cuda, Device.Parse("CUDA:1").Type);
        Assert.AreEqual(1, Device.Parse("cuda:1").Index);
        Assert.AreEqual(Device.Cuda(0), Device.Parse("cuda"));
        Assert.AreEqual(Device.Cpu, Device.Parse(" cpu "));
        Assert.AreEqual("cuda:1", Device.Parse("cuda:1").ToString());
        Assert.AreEqual("cpu", Device.Cpu.ToString());
        var e = Assert.ThrowsExactly<ArgumentException>(() => Device.Parse("bogus"));
        StringAssert.Contains(e.Message, "bogus");
        Assert.ThrowsExactly<ArgumentException>(() => Device.Parse("cuda:-1"));
        Assert.ThrowsExactly<ArgumentException>(() => Device.Parse("cuda:x"));
    }

    [TestMethod]
    public void MetaTensorsHaveShapesButNoData()
    {
        using (Torch.UseDefaultDevice(Device.Meta))
        {
            using var m = Torch.Zeros([1000, 1000]);
            Assert.AreEqual(Device.Meta, m.Device);
            CollectionAssert.AreEqual(new long[] { 1000, 1000 }, m.Shape);
        }
        using var cpu = Torch.Zeros([1]);
        Assert.AreEqual(Device.Cpu, cpu.Device, "the default device is restored");
    }

    [TestMethod]
    public void AskingForCudaWithoutCudaThrowsTorchExceptionMentioningCuda()
    {
        if (Torch.CudaIsAvailable) Assert.Inconclusive("CUDA is available here; this checks the CPU-only error path.");
        var e = Assert.ThrowsExactly<TorchException>(() => Torch.EnsureDevice(Device.Cuda()));
        StringAssert.Contains(e.Message, "CUDA");
        var e2 = Assert.ThrowsExactly<TorchException>(() => Torch.UseDefaultDevice(Device.Cuda()));
        StringAssert.Contains(e2.Message, "CUDA");
        // Straight into libtorch: its own error, still a TorchException.
        using var t = Torch.Ones([2]);
        var e3 = Assert.ThrowsExactly<TorchException>(() => t.To(Device.Cuda()));
        StringAssert.Contains(e3.Message.ToUpperInvariant(), "CUDA", e3.Message);
        var e4 = Assert.ThrowsExactly<TorchException>(() => Torch.Zeros([2], device: Device.Cuda()));
        StringAssert.Contains(e4.Message.ToUpperInvariant(), "CUDA", e4.Message);
        // And the CPU still works.
        using var y = t + 1;
        CollectionAssert.AreEqual(new float[] { 2, 2 }, y.ToFloatArray());
    }
}
