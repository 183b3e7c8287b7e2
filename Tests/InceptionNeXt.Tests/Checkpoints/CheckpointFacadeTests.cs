using InceptionNeXt.Training.Checkpoints;

namespace InceptionNeXt.Tests.Checkpoints;

[TestClass]
public sealed class CheckpointFacadeTests
{
    [TestMethod]
    public void SaveReplacesExistingFilesAtomicallyWithoutLeftovers()
    {
        using var tmp = new TempDir();
        StateDict sd = PthWriterTests.SampleStateDict();
        foreach (string name in new[] { "a.safetensors", "b.pth", "c.pt", "d.bin" })
        {
            string path = tmp.File(name);
            File.WriteAllText(path, "old contents that are not a checkpoint");
            Checkpoint.SaveStateDict(path, sd);
            StateDict back = Checkpoint.LoadStateDict(path);
            CollectionAssert.AreEqual(sd.Keys.ToArray(), back.Keys.ToArray(), name);
            CollectionAssert.AreEqual(sd["conv.weight"].Data, back["conv.weight"].Data, name);
        }

        CollectionAssert.AreEquivalent(
            new[] { "a.safetensors", "b.pth", "c.pt", "d.bin" },
            Directory.GetFiles(tmp.Path).Select(Path.GetFileName).ToArray());
    }

    [TestMethod]
    public void FailedSaveLeavesTheOriginalFileUntouched()
    {
        using var tmp = new TempDir();
        string path = tmp.File("keep.pth");
        File.WriteAllText(path, "original");
        Assert.ThrowsExactly<ArgumentException>(() => PthWriter.Save(path, new Dictionary<string, object?> { ["bad"] = new object() }));
        Assert.AreEqual("original", File.ReadAllText(path));
        Assert.IsEmpty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [TestMethod]
    public void UnsupportedExtensionListsTheSupportedOnes()
    {
        using var tmp = new TempDir();
        var e = Assert.ThrowsExactly<ArgumentException>(() => Checkpoint.SaveStateDict(tmp.File("model.npz"), new StateDict()));
        StringAssert.Contains(e.Message, ".safetensors");
        StringAssert.Contains(e.Message, ".pth");
        Assert.IsEmpty(Directory.GetFiles(tmp.Path));
    }

    [TestMethod]
    public void LoadDispatchesOnContentNotExtension()
    {
        using var tmp = new TempDir();
        StateDict sd = PthWriterTests.SampleStateDict();
        string safetensorsNamedPth = tmp.File("really-safetensors.pth");
        SafeTensors.Write(safetensorsNamedPth, sd);
        string pthNamedSafetensors = tmp.File("really-pth.safetensors");
        PthWriter.Save(pthNamedSafetensors, sd);

        Assert.AreEqual(Checkpoint.Format.SafeTensors, Checkpoint.DetectFormat(safetensorsNamedPth));
        Assert.AreEqual(Checkpoint.Format.PyTorchZip, Checkpoint.DetectFormat(pthNamedSafetensors));
        CollectionAssert.AreEqual(sd.Keys.ToArray(), Checkpoint.LoadStateDict(safetensorsNamedPth).Keys.ToArray());
        CollectionAssert.AreEqual(sd.Keys.ToArray(), Checkpoint.LoadStateDict(pthNamedSafetensors).Keys.ToArray());

        string unknown = tmp.File("text.pth");
        File.WriteAllText(unknown, "hello world, not a checkpoint");
        var ex = Assert.ThrowsExactly<InvalidDataException>(() => Checkpoint.LoadStateDict(unknown));
        StringAssert.StartsWith(ex.Message, unknown);
    }

    [TestMethod]
    public void FindsStateDictUnderCandidateKeysAndSkipsNonTensors()
    {
        using var tmp = new TempDir();
        var sd = new StateDict();
        sd.Add("module.a", TensorData.FromFloat32([1], [1]));
        sd.Add("module.b", TensorData.ScalarInt64(2));
        string path = tmp.File("ema.pth");
        PthWriter.Save(path, new Dictionary<string, object?>
        {
            ["epoch"] = 5L,
            ["model_ema"] = new Dictionary<string, object?> { ["module.a"] = sd["module.a"], ["module.b"] = sd["module.b"], ["module.note"] = "skip me" },
        });
        StateDict found = Checkpoint.LoadStateDict(path);
        CollectionAssert.AreEqual(new[] { "a", "b" }, found.Keys.ToArray());

        string none = tmp.File("none.pth");
        PthWriter.Save(none, new Dictionary<string, object?> { ["epoch"] = 5L, ["name"] = "x" });
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Checkpoint.LoadStateDict(none));
        StringAssert.Contains(e.Message, "'epoch'");
        StringAssert.Contains(e.Message, "no state dict");

        string list = tmp.File("list.pth");
        PthWriter.Save(list, new List<object?> { 1L });
        Assert.ThrowsExactly<InvalidDataException>(() => Checkpoint.LoadStateDict(list));
    }
}
