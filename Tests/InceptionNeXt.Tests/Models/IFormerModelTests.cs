using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;
using TorchSharp;
using static InceptionNeXt.Tests.Models.ZooTestHelpers;
using static TorchSharp.torch;
using ImageClassifier = InceptionNeXt.Training.TorchModels.ImageClassifier;

namespace InceptionNeXt.Tests.Models;

/// <summary>
/// iFormer (sail-sg/iFormer): the official parameter counts and the paper's GMACs, shapes and input checks, eval and
/// training parity with the plain-PyTorch reference (tools/reference/iformer_ref.py, checked against the official code),
/// strict loading of a state dict with the official key names, and a training step that lowers the loss.
/// </summary>
[TestClass]
public sealed class IFormerModelTests
{
    /// <summary>A four-stage iFormer small enough for quick parity runs, positional embeddings laid out for 64 px.</summary>
    internal static ModelConfig Tiny => ModelRegistry.GetConfig("iformer_small") with
    {
        Name = "iformer_tiny_test", Depths = [1, 1, 2, 1], Dims = [64, 96, 128, 160], NumHeads = [2, 3, 4, 5],
        AttentionHeads = [1, 1, 2, 3, 4], PosEmbedSize = 64, NumClasses = 7,
    };

    [TestMethod]
    [DataRow("iformer_small", 19_866_344L, 4.8)]
    [DataRow("iformer_base", 47_866_216L, 9.4)]
    [DataRow("iformer_large", 86_637_096L, 14.0)]
    [DataRow("iformer_small_384", 20_899_944L, 0)]
    [DataRow("iformer_base_384", 48_936_296L, 0)]
    [DataRow("iformer_large_384", 87_743_656L, 0)]
    public void ParameterCountsAreTheOfficialOnesAndGMacsThePapers(string name, long parameters, double paperGMacs)
    {
        using var model = TorchModelRegistry.CreateOnMeta(ModelRegistry.GetConfig(name));
        Assert.AreEqual(ModelFamily.IFormer, model.Config.Family);
        Assert.AreEqual(parameters, model.ParameterCount(), name);
        if (paperGMacs > 0)
        {
            var gmacs = model.CountMacs(224, 224) / 1e9;
            Assert.AreEqual(paperGMacs, gmacs, 0.02 * paperGMacs, $"{name}: {gmacs:F3} GMACs");
        }
        else Assert.AreEqual(384, model.Config.Preprocessing.InputSize);
    }

    [TestMethod]
    public void TheModelsCommandListsIFormerWithItsFamilyCountsAndGMacs()
    {
        var (code, stdout, stderr) = ProcessRunner.RunCli("models");
        Assert.AreEqual(0, code, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var (name, count, gmacs) in new[] { ("iformer_small", "19,866,344", "4.83"), ("iformer_base", "47,866,216", "9.34"), ("iformer_large", "86,637,096", "14.00") })
        {
            var columns = lines.Single(l => l.StartsWith(name + " ", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            CollectionAssert.AreEqual(new[] { name, "IFormer", count, gmacs, "224" }, columns, string.Join(" ", columns));
        }
        StringAssert.EndsWith(lines.Single(l => l.StartsWith("iformer_large_384 ", StringComparison.Ordinal)).TrimEnd(), "384");
    }

    [TestMethod]
    public void ShapesPreLogitsAndBadInput()
    {
        manual_seed(1);
        using var model = TorchModelRegistry.Create("iformer_small", c => c with { NumClasses = 10 });
        model.eval();
        using var noGrad = no_grad();
        using var x = randn(2, 3, 64, 64);
        using var features = model.forward_features(x);
        CollectionAssert.AreEqual(new long[] { 2, 384, 2, 2 }, features.shape);
        using var logits = model.forward_head(features);
        CollectionAssert.AreEqual(new long[] { 2, 10 }, logits.shape);
        using var pre = model.forward_head(features, preLogits: true);
        using var pooled = model.forward_pooled_features(x);
        Assert.AreEqual(0, MaxAbsDiff(ToArray(pre), ToArray(pooled)), "pooled features are the official forward_features (normed mean)");
        Assert.AreEqual("head", model.ClassifierName);

        using var odd = randn(1, 3, 40, 40); // 1/8 map of 5 px cannot be pooled 2x2 and upsampled back
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => model.call(odd)).Message, "even");
        Assert.ThrowsExactly<ArgumentException>(() => TorchModelRegistry.Create("iformer_small", c => c with { StemStride = 2 }));
        Assert.ThrowsExactly<ArgumentException>(() => TorchModelRegistry.Create("iformer_small", c => c with { AttentionHeads = [.. c.AttentionHeads[..^1], 12] }));

        model.ResetClassifier(3);
        using var three = model.call(x);
        CollectionAssert.AreEqual(new long[] { 2, 3 }, three.shape);
    }

    [TestMethod]
    public void StateDictHasTheOfficialNames()
    {
        using var model = TorchModelRegistry.CreateOnMeta(ModelRegistry.GetConfig("iformer_small"));
        var shapes = StateShapes(model);
        CollectionAssert.AreEqual(new long[] { 1, 56, 56, 96 }, shapes["pos_embed1"]);
        CollectionAssert.AreEqual(new long[] { 1, 7, 7, 384 }, shapes["pos_embed4"]);
        CollectionAssert.AreEqual(new long[] { 48, 3, 3, 3 }, shapes["patch_embed.proj1.weight"]);
        CollectionAssert.AreEqual(new long[] { 96 }, shapes["patch_embed.norm2.running_var"]);
        CollectionAssert.AreEqual(new long[] { 320, 192, 3, 3 }, shapes["patch_embed3.proj.weight"]);
        // Stage 1 block 0: 1 of 3 heads (32 channels) to attention, 64 high-frequency channels split 32 / 32.
        CollectionAssert.AreEqual(new long[] { 64, 32, 1, 1 }, shapes["blocks1.0.attn.high_mixer.conv1.weight"]);
        CollectionAssert.AreEqual(new long[] { 64, 1, 3, 3 }, shapes["blocks1.0.attn.high_mixer.proj1.weight"]);
        CollectionAssert.AreEqual(new long[] { 64 }, shapes["blocks1.0.attn.high_mixer.proj2.bias"]);
        CollectionAssert.AreEqual(new long[] { 96, 32 }, shapes["blocks1.0.attn.low_mixer.qkv.weight"]);
        CollectionAssert.AreEqual(new long[] { 160, 1, 3, 3 }, shapes["blocks1.0.attn.conv_fuse.weight"]);
        CollectionAssert.AreEqual(new long[] { 96, 160, 1, 1 }, shapes["blocks1.0.attn.proj.weight"]);
        CollectionAssert.AreEqual(new long[] { 384, 96 }, shapes["blocks1.0.mlp.fc1.weight"]);
        CollectionAssert.AreEqual(new long[] { 1000, 384 }, shapes["head.weight"]);
        CollectionAssert.AreEqual(new long[] { 384 }, shapes["norm.weight"]);
        Assert.IsFalse(shapes.Keys.Any(k => k.StartsWith("blocks2.", StringComparison.Ordinal) && k.Contains("layer_scale")), "no layer scale in stages 1-2");
        CollectionAssert.AreEqual(new long[] { 320 }, shapes["blocks3.8.layer_scale_2"]);
        // Last block of stage 3: 9 of 10 heads to attention.
        CollectionAssert.AreEqual(new long[] { 864, 288 }, shapes["blocks3.8.attn.low_mixer.qkv.weight"]);
        Assert.IsFalse(shapes.ContainsKey("blocks3.9.norm1.weight"));
    }

    /// <summary>Random norm statistics and weights and layer scales of order 1, so that every part shows in the output.</summary>
    internal static void Randomise(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var (name, tensor) in model.state_dict())
        {
            if (name.EndsWith("running_mean", StringComparison.Ordinal)) tensor.normal_(0, 0.1);
            else if (name.EndsWith("running_var", StringComparison.Ordinal)) tensor.uniform_(0.5, 1.5);
            else if (name.Contains("layer_scale", StringComparison.Ordinal)) tensor.normal_(0, 0.3);
            else if (tensor.dim() == 1 && name.EndsWith(".weight", StringComparison.Ordinal) && name.Contains("norm", StringComparison.Ordinal)) tensor.uniform_(0.5, 1.5);
        }
    }

    public static IEnumerable<object[]> ParityCases()
    {
        yield return ["tiny@64 (stored positional grid)", Tiny, 64];
        yield return ["tiny@96 (resized positional embeddings)", Tiny, 96];
        yield return ["iformer_small@64", ModelRegistry.GetConfig("iformer_small") with { NumClasses = 10 }, 64];
    }

    [TestMethod]
    [DynamicData(nameof(ParityCases))]
    public void EvalLogitsAndFeaturesMatchTheReference(string label, ModelConfig config, int size)
    {
        using var dir = new TempDir();
        set_num_threads(1);
        manual_seed(7);
        using var model = TorchModelRegistry.Create(config);
        Randomise(model);
        using var x = randn(2, 3, size, size);
        var reference = TorchPyTorchParityTests.RunReference(dir, model, x, null, "eval", []);
        model.eval();
        using var noGrad = no_grad();
        using var features = model.forward_features(x);
        using var logits = model.forward_head(features);
        var worst = TorchPyTorchParityTests.AssertClose(reference["features"], features, $"{label} features");
        worst = Math.Max(worst, TorchPyTorchParityTests.AssertClose(reference["logits"], logits, $"{label} logits"));
        Console.WriteLine($"{label}: max abs diff {worst:E2}");
    }

    [TestMethod]
    public void TrainLogitsLossGradientsAndRunningStatsMatchTheReference()
    {
        using var dir = new TempDir();
        set_num_threads(1);
        manual_seed(11);
        using var model = TorchModelRegistry.Create(Tiny);
        Randomise(model);
        using var x = randn(4, 3, 64, 64);
        using var target = randint(Tiny.NumClasses, [4]);
        string[] picked =
        [
            "patch_embed.proj1.weight", "pos_embed1", "pos_embed4", "blocks1.0.attn.low_mixer.qkv.weight", "blocks1.0.attn.high_mixer.proj2.weight",
            "blocks3.1.attn.conv_fuse.weight", "blocks3.1.layer_scale_1", "blocks4.0.mlp.fc2.weight", "norm.weight", "head.weight",
        ];
        var reference = TorchPyTorchParityTests.RunReference(dir, model, x, target, "train", picked);
        model.train();
        using var scope = NewDisposeScope();
        var logits = model.call(x);
        var loss = nn.functional.cross_entropy(logits, target);
        loss.backward();
        TorchPyTorchParityTests.AssertClose(reference["logits"], logits, "train logits");
        TorchPyTorchParityTests.AssertClose(reference["loss"], loss, "loss");
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var name in picked)
            TorchPyTorchParityTests.AssertClose(reference["grad." + name], parameters[name].grad ?? throw new AssertFailedException($"{name} has no gradient"), $"grad {name}");
        var stats = 0;
        foreach (var (name, buffer) in model.named_buffers().Where(b => b.name.Contains("running_")))
        {
            TorchPyTorchParityTests.AssertClose(reference["state." + name], buffer, $"{name} after a training step");
            stats++;
        }
        Assert.AreEqual(10, stats, "running mean and var of the stem's two and the three embeddings' BatchNorms");
    }

    [TestMethod]
    [DataRow("iformer_small", 224)]
    [DataRow("iformer_small_384", 384)]
    public void AStateDictWithTheOfficialKeyNamesLoadsStrictlyAndGivesTheReferenceLogits(string name, int size)
    {
        PythonRunner.RequireTorch();
        using var dir = new TempDir();
        set_num_threads(1);
        manual_seed(5);
        var config = ModelRegistry.GetConfig(name);
        File.WriteAllText(dir.File("config.json"), config.ToJson());
        using var x = randn(1, 3, size, size);
        PthWriter.Save(dir.File("x.pth"), new Dictionary<string, object?> { ["x"] = x.ToTensorData() });
        // The reference's own state_dict(): keys and shapes as the official code names them (torch.save, zip format).
        ReferenceScripts.Run("iformer_ref.py", "--config", dir.File("config.json"), "--save-state", dir.File("state.pth"),
            "--input", dir.File("x.pth"), "--output", dir.File("logits.pth"), "--seed", "3");
        var state = Checkpoint.LoadStateDict(dir.File("state.pth"));
        using var model = PretrainedWeights.Create(name, dir.File("state.pth"));
        CollectionAssert.AreEquivalent(state.Keys.ToList(), model.state_dict().Keys.ToList(), "same key set");
        model.eval();
        using var noGrad = no_grad();
        using var logits = model.call(x);
        var expected = (TensorData)((Dictionary<string, object?>)PthReader.Load(dir.File("logits.pth"))!)["logits"]!;
        var worst = TorchPyTorchParityTests.AssertClose(expected, logits, $"{name} logits");
        Console.WriteLine($"{name}@{size}: max abs diff {worst:E2}");
    }

    [TestMethod]
    public void ATrainingStepLowersTheLoss()
    {
        set_num_threads(2);
        manual_seed(17);
        using var model = TorchModelRegistry.Create("iformer_small", c => c with { NumClasses = 4 });
        using var optimizer = optim.AdamW(model.parameters(), 1e-3);
        using var x = randn(4, 3, 32, 32);
        using var y = tensor(new long[] { 0, 1, 2, 3 });
        model.train();
        var losses = new List<float>();
        for (var step = 0; step < 4; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }
        Assert.IsTrue(losses[^1] < losses[0], $"loss {string.Join(" -> ", losses)}");
    }
}
