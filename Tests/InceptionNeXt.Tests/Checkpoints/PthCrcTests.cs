using InceptionNeXt.Training.Checkpoints;

namespace InceptionNeXt.Tests.Checkpoints;

/// <summary>Issue 14: a checkpoint whose bytes changed after it was written (bit rot) is refused, not loaded.</summary>
[TestClass]
public sealed class PthCrcTests
{
    [TestMethod]
    public void AFlippedBitInTheWeightsFailsTheCrcCheck()
    {
        using var tmp = new TempDir();
        var path = tmp.File("w.pth");
        var values = Enumerable.Range(1, 64).Select(i => i * 0.125f).ToArray();
        var sd = new StateDict();
        sd.Add("w", TensorData.FromFloat32(values, [64]));
        PthWriter.Save(path, sd);
        Assert.AreEqual(64, PthReader.ReadStateDict(path)["w"].Shape[0]);

        // Flip one bit inside the stored floats (torch.save stores records uncompressed).
        var bytes = File.ReadAllBytes(path);
        var pattern = new byte[16];
        Buffer.BlockCopy(values, 40, pattern, 0, 16);
        var at = bytes.AsSpan().IndexOf(pattern);
        Assert.IsTrue(at > 0);
        bytes[at + 3] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => PthReader.ReadStateDict(path));
        StringAssert.Contains(e.Message, path);
        StringAssert.Contains(e.Message, "CRC-32");
    }
}
