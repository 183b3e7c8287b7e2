using InceptionNeXt.Training.Checkpoints;

namespace InceptionNeXt.Tests.Checkpoints;

[TestClass]
public sealed class TensorDataTests
{
    [TestMethod]
    public void HalfAndBFloat16ConvertExactly()
    {
        var half = new TensorData(TensorDType.Float16, [4], [0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00]);
        CollectionAssert.AreEqual(new[] { 1f, -2f, 65504f, 5.9604645e-8f }, half.ToFloat32());

        var bf16 = new TensorData(TensorDType.BFloat16, [3], [0x80, 0x3f, 0x10, 0xc0, 0x80, 0x7f]);
        CollectionAssert.AreEqual(new[] { 1f, -2.25f, float.PositiveInfinity }, bf16.ToFloat32());

        // Round to nearest even: 1 + 2^-8 is a tie between 1 and 1 + 2^-7 -> 1; just above rounds up.
        Assert.AreEqual((ushort)0x3f80, TensorData.FloatToBFloat16Bits(1f + MathF.Pow(2, -8)));
        Assert.AreEqual((ushort)0x3f81, TensorData.FloatToBFloat16Bits(1f + MathF.Pow(2, -8) + MathF.Pow(2, -16)));
        Assert.IsTrue(float.IsNaN(TensorData.BFloat16BitsToFloat(TensorData.FloatToBFloat16Bits(float.NaN))));
    }

    [TestMethod]
    public void IntegerAndBoolConversions()
    {
        TensorData i64 = TensorData.FromInt64([-3, 0, long.MaxValue], [3]);
        CollectionAssert.AreEqual(new[] { -3L, 0L, long.MaxValue }, i64.ToInt64());
        TensorData mask = TensorData.FromBool([true, false], [2]);
        CollectionAssert.AreEqual(new byte[] { 1, 0 }, mask.Data);
        CollectionAssert.AreEqual(new[] { 1f, 0f }, mask.ToFloat32());
        CollectionAssert.AreEqual(new[] { -1L, 2L }, TensorData.FromFloat32([-1.7f, 2.9f], [2]).ToInt64());
        Assert.AreEqual(1L, TensorData.ScalarInt64(5).Numel);
        Assert.AreEqual(0L, TensorData.FromFloat32([], [2, 0, 3]).Numel);
        Assert.ThrowsExactly<ArgumentException>(() => TensorData.FromFloat32([1, 2, 3], [2, 2]));
        Assert.ThrowsExactly<ArgumentException>(() => new TensorData(TensorDType.Float32, [-1], []));
    }

    [TestMethod]
    public void StateDictKeepsInsertionOrder()
    {
        var sd = new StateDict();
        sd.Add("c", TensorData.ScalarInt64(1));
        sd.Add("a", TensorData.ScalarInt64(2));
        sd.Add("b", TensorData.ScalarInt64(3));
        sd["a"] = TensorData.ScalarInt64(20);
        sd["d"] = TensorData.ScalarInt64(4);
        Assert.IsTrue(sd.Remove("c"));
        Assert.IsFalse(sd.Remove("zz"));
        CollectionAssert.AreEqual(new[] { "a", "b", "d" }, sd.Keys.ToArray());
        CollectionAssert.AreEqual(new[] { "a", "b", "d" }, sd.Select(kv => kv.Key).ToArray());
        Assert.AreEqual(20L, sd["a"].ToInt64()[0]);
        Assert.IsTrue(sd.TryGet("b", out TensorData? b));
        Assert.AreEqual(3L, b.ToInt64()[0]);
        Assert.IsFalse(sd.TryGet("zz", out _));
        Assert.ThrowsExactly<ArgumentException>(() => sd.Add("a", TensorData.ScalarInt64(0)));
        var missing = Assert.ThrowsExactly<KeyNotFoundException>(() => sd["nope"]);
        StringAssert.Contains(missing.Message, "nope");
    }
}
