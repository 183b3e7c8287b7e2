using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;
using ImageClassifier = InceptionNeXt.Training.TorchModels.ImageClassifier;
using PretrainedWeights = InceptionNeXt.Training.TorchModels.PretrainedWeights;
using DropPath = InceptionNeXt.Training.TorchModels.DropPath;
using TorchSharp;
using static InceptionNeXt.Tests.Models.ZooTestHelpers;
using static TorchSharp.torch;

namespace InceptionNeXt.Tests.Models;

/// <summary>
/// The zoo as TorchSharp modules: sizes and MACs against timm and the paper, timm's state-dict names, ablation knobs,
/// input checks, checkpoint mismatches, round trips and transfer, modes, drop path, and composition with TorchSharp's
/// own optimizers.
/// </summary>
[TestClass]
public sealed class TorchModelZooTests
{
    private static ImageClassifier CreateOnMeta(string name, Func<ModelConfig, ModelConfig>? configure = null)
    {
        var config = ModelRegistry.GetConfig(name);
        return TorchModelRegistry.CreateOnMeta(configure is null ? config : configure(config));
    }

    // ---------------------------------------------------------------- sizes

    [TestMethod]
    [DataRow("inceptionnext_atto", 4_156_520L)]
    [DataRow("inceptionnext_tiny", 28_055_680L)]
    [DataRow("inceptionnext_small", 49_374_016L)]
    [DataRow("inceptionnext_base", 86_672_136L)]
    [DataRow("convnext_atto", 3_695_520L)]
    [DataRow("convnext_tiny", 28_589_128L)]
    [DataRow("convnext_small", 50_223_688L)]
    [DataRow("convnext_base", 88_591_464L)]
    public void ParameterCountMatchesTimm(string name, long expected)
    {
        using var model = CreateOnMeta(name);
        Assert.AreEqual(expected, model.ParameterCount(), name);
        Assert.AreEqual(DeviceType.META, model.parameters().First().device_type);
    }

    [TestMethod]
    public void AllocatedModelHasTheSameStructureAsOnMeta()
    {
        using var meta = CreateOnMeta("inceptionnext_atto");
        using var real = TorchModelRegistry.Create("inceptionnext_atto");
        Assert.AreEqual(DeviceType.CPU, real.parameters().First().device_type);
        Assert.AreEqual(4_156_520L, real.ParameterCount());
        CollectionAssert.AreEqual(
            meta.state_dict().Select(t => t.Key + string.Join("x", t.Value.shape)).ToList(),
            real.state_dict().Select(t => t.Key + string.Join("x", t.Value.shape)).ToList());
    }

    [TestMethod]
    [DataRow("inceptionnext_atto", 0.51)]
    [DataRow("inceptionnext_tiny", 4.2)]
    [DataRow("inceptionnext_small", 8.4)]
    [DataRow("inceptionnext_base", 14.9)]
    public void MacsAt224AreWithinTwoPercentOfThePaper(string name, double paperGMacs)
    {
        using var model = CreateOnMeta(name);
        var gmacs = model.CountMacs(224, 224) / 1e9;
        Assert.AreEqual(paperGMacs, gmacs, paperGMacs * 0.02, $"{name}: {gmacs:F3} GMACs");
        Assert.AreEqual(4 * gmacs, model.CountMacs(448, 448) / 1e9, 0.01 * 4 * gmacs);
    }

    [TestMethod]
    public void EveryRegisteredNameBuildsOnMeta()
    {
        foreach (var name in ModelRegistry.Names)
        {
            using var model = CreateOnMeta(name);
            Assert.AreEqual(name, model.Config.Name);
            Assert.IsTrue(model.ParameterCount() > 1_000_000, name);
            Assert.IsTrue(model.state_dict().Values.All(t => t.device_type == DeviceType.META), $"{name} allocated on the CPU");
        }
        Assert.AreEqual(DeviceType.CPU, get_default_device().type, "the default device is restored");
        var e = Assert.ThrowsExactly<ArgumentException>(() => TorchModelRegistry.Create("resnet50"));
        StringAssert.Contains(e.Message, "inceptionnext_tiny");
    }

    // ---------------------------------------------------------------- names and shapes

    [TestMethod]
    public void InceptionNeXtStateDictNamesAreTimms()
    {
        using var model = CreateOnMeta("inceptionnext_atto");
        var shapes = StateShapes(model);
        var expected = new Dictionary<string, long[]>
        {
            ["stem.0.weight"] = [40, 3, 4, 4],
            ["stem.1.running_var"] = [40],
            ["stem.1.num_batches_tracked"] = [],
            ["stages.2.downsample.1.weight"] = [160, 80, 2, 2],
            ["stages.2.blocks.5.token_mixer.dwconv_w.weight"] = [40, 1, 1, 9],
            ["stages.2.blocks.5.token_mixer.dwconv_h.weight"] = [40, 1, 9, 1],
            ["stages.2.blocks.5.mlp.fc1.weight"] = [640, 160, 1, 1],
            ["stages.2.blocks.5.gamma"] = [160],
            ["head.fc1.weight"] = [960, 320],
            ["head.norm.weight"] = [960],
            ["head.fc2.bias"] = [1000],
        };
        foreach (var (name, shape) in expected)
        {
            Assert.IsTrue(shapes.ContainsKey(name), $"missing {name}");
            CollectionAssert.AreEqual(shape, shapes[name], name);
        }
        Assert.IsFalse(shapes.ContainsKey("stages.2.blocks.6.gamma"), "stage 2 of atto has 6 blocks");
        Assert.IsFalse(shapes.ContainsKey("stages.0.downsample.0.weight"), "stage 0 has no downsample");
        Assert.AreEqual("head.fc2", model.ClassifierName);
    }

    [TestMethod]
    public void ConvNeXtStateDictNamesAreTimms()
    {
        using var model = CreateOnMeta("convnext_tiny");
        var shapes = StateShapes(model);
        var expected = new Dictionary<string, long[]>
        {
            ["stem.1.weight"] = [96],
            ["stages.1.downsample.0.weight"] = [96],
            ["stages.2.blocks.3.conv_dw.weight"] = [384, 1, 7, 7],
            ["stages.2.blocks.3.mlp.fc1.weight"] = [1536, 384],
            ["head.norm.weight"] = [768],
            ["head.fc.weight"] = [1000, 768],
        };
        foreach (var (name, shape) in expected)
        {
            Assert.IsTrue(shapes.ContainsKey(name), $"missing {name}");
            CollectionAssert.AreEqual(shape, shapes[name], name);
        }
        Assert.AreEqual("head.fc", model.ClassifierName);

        using var atto = CreateOnMeta("convnext_atto");
        CollectionAssert.AreEqual(new long[] { 160, 40, 1, 1 }, StateShapes(atto)["stages.0.blocks.0.mlp.fc1.weight"], "conv MLP in atto");

        using var partial = CreateOnMeta("convnext_tiny_k3_par1_8");
        var partialShapes = StateShapes(partial);
        CollectionAssert.AreEqual(new long[] { 12, 1, 3, 3 }, partialShapes["stages.0.blocks.0.conv_dw.conv.weight"]);
        Assert.IsFalse(partialShapes.ContainsKey("stages.0.blocks.0.conv_dw.weight"));
    }

    // ---------------------------------------------------------------- ablation knobs and input

    [TestMethod]
    public void BandKernelSizeChangesTheBandConvolutions()
    {
        using var model = CreateOnMeta("inceptionnext_atto", c => c with { BandKernelSize = 13 });
        var shapes = StateShapes(model);
        CollectionAssert.AreEqual(new long[] { 10, 1, 1, 13 }, shapes["stages.0.blocks.0.token_mixer.dwconv_w.weight"]);
        CollectionAssert.AreEqual(new long[] { 10, 1, 13, 1 }, shapes["stages.0.blocks.0.token_mixer.dwconv_h.weight"]);
        CollectionAssert.AreEqual(new long[] { 10, 1, 3, 3 }, shapes["stages.0.blocks.0.token_mixer.dwconv_hw.weight"]);
        Assert.ThrowsExactly<ArgumentException>(() => CreateOnMeta("inceptionnext_atto", c => c with { BandKernelSize = 12 }));
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(1)]
    public void SmallStemStridesAcceptTinyImages(int stride)
    {
        manual_seed(3);
        using var model = TorchModelRegistry.Create("inceptionnext_atto", c => c with { StemStride = stride, NumClasses = 7 });
        Assert.AreEqual(stride * 8, model.Config.MinInputSize);
        using var x = randn(2, 3, 28, 28);
        model.eval();
        using var noGrad = no_grad();
        using var features = model.forward_features(x);
        var side = 28 / stride / 8;
        CollectionAssert.AreEqual(new long[] { 2, 320, side, side }, features.shape);
        using var logits = model.call(x);
        CollectionAssert.AreEqual(new long[] { 2, 7 }, logits.shape);
        Assert.IsTrue(ToArray(logits).All(float.IsFinite));
    }

    [TestMethod]
    [DataRow("inceptionnext_atto")]
    [DataRow("convnext_atto")]
    public void AnyClassCountAndPreLogits(string name)
    {
        manual_seed(5);
        using var model = TorchModelRegistry.Create(name, c => c with { NumClasses = 7 });
        using var x = randn(3, 3, 32, 32);
        Assert.HasCount(21, EvalLogits(model, x));
        Assert.AreEqual(7L, StateShapes(model)[model.ClassifierName + ".weight"][0]);
        using var noGrad = no_grad();
        using var features = model.forward_features(x);
        using var preLogits = model.forward_head(features, preLogits: true);
        CollectionAssert.AreEqual(new long[] { 3, model.PreLogitsSize }, preLogits.shape);
        using var pooled = model.forward_pooled_features(x);
        CollectionAssert.AreEqual(new long[] { 3, model.NumFeatures }, pooled.shape);
    }

    [TestMethod]
    public void BadInputIsRejectedWithArgumentExceptions()
    {
        using var model = CreateOnMeta("inceptionnext_atto");
        using var gray = zeros(2, 1, 64, 64);
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.call(gray));
        StringAssert.Contains(e.Message, "3 input channels");
        using var threeD = zeros(3, 64, 64);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => model.call(threeD)).Message, "4-d");
        using var small = zeros(1, 3, 16, 64);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => model.call(small)).Message, "at least 32x32");
    }

    [TestMethod]
    [DataRow("inceptionnext_atto")]
    [DataRow("inceptionnext_tiny")]
    [DataRow("convnext_atto")]
    [DataRow("convnext_tiny_k3_par1_4")]
    public void ChannelsLastGivesTheSameLogits(string name)
    {
        set_num_threads(1);
        manual_seed(21);
        using var model = TorchModelRegistry.Create(name, c => c with { NumClasses = 5, Depths = [1, 1, 2, 1] });
        RandomiseNormStatistics(model);
        using var x = randn(2, 3, 64, 64);
        model.UseChannelsLast = true;
        var last = EvalLogits(model, x);
        model.UseChannelsLast = false;
        var first = EvalLogits(model, x);
        Assert.IsTrue(MaxAbsDiff(last, first) <= 1e-5, $"max abs diff {MaxAbsDiff(last, first):E2}");
        Assert.IsTrue(last.Max(Math.Abs) > 1e-3, "logits are not trivially zero");
    }

    // ---------------------------------------------------------------- checkpoints

    [TestMethod]
    public void LoadingAConvNeXtCheckpointIntoInceptionNeXtListsMissingAndUnexpectedKeys()
    {
        using var dir = new TempDir();
        var path = dir.File("convnext_atto.safetensors");
        manual_seed(1);
        using (var convnext = TorchModelRegistry.Create("convnext_atto"))
            Checkpoint.SaveStateDict(path, convnext.ToStateDict());

        manual_seed(2);
        using var model = TorchModelRegistry.Create("inceptionnext_atto");
        var before = Values(model, "stem.0.weight");
        var e = Assert.ThrowsExactly<StateDictMismatchException>(() => model.LoadStateDict(Checkpoint.LoadStateDict(path), strict: true, path));
        CollectionAssert.Contains(e.Missing.ToList(), "stages.0.blocks.0.token_mixer.dwconv_hw.weight");
        CollectionAssert.Contains(e.Unexpected.ToList(), "stages.0.blocks.0.conv_dw.weight");
        CollectionAssert.DoesNotContain(e.Missing.ToList(), "stem.0.weight", "same name and shape in both");
        StringAssert.Contains(e.Message, path);
        CollectionAssert.AreEqual(before, Values(model, "stem.0.weight"), "a failed strict load changes nothing");
        Assert.ThrowsExactly<StateDictMismatchException>(() => PretrainedWeights.Create("inceptionnext_atto", path));
    }

    [TestMethod]
    public void ShapeMismatchesListBothShapesAndNonStrictLoadsTheRest()
    {
        manual_seed(1);
        using var source = TorchModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 7 });
        var checkpoint = source.ToStateDict();
        manual_seed(2);
        using var target = TorchModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 10 });
        var before = target.ToStateDict();
        CollectionAssert.AreNotEqual(checkpoint["stem.0.weight"].ToFloat32(), before["stem.0.weight"].ToFloat32());
        var e = Assert.ThrowsExactly<StateDictMismatchException>(() => target.LoadStateDict(checkpoint));
        Assert.HasCount(2, e.ShapeMismatches);
        StringAssert.Contains(e.Message, "checkpoint [7, 960], model [10, 960]");
        StringAssert.Contains(e.Message, "--num-classes");
        // A strict load that fails changes nothing, not even the tensors that did match.
        foreach (var name in new[] { "stem.0.weight", "stem.1.running_mean", "stages.3.blocks.1.mlp.fc2.weight", "head.fc1.weight" })
            CollectionAssert.AreEqual(before[name].ToFloat32(), Values(target, name), name);
        var result = target.LoadStateDict(checkpoint, strict: false);
        Assert.HasCount(2, result.ShapeMismatches);
        CollectionAssert.AreEqual(checkpoint["stem.0.weight"].ToFloat32(), Values(target, "stem.0.weight"));
        CollectionAssert.AreEqual(checkpoint["stem.1.running_var"].ToFloat32(), Values(target, "stem.1.running_var"));
    }

    [TestMethod]
    [DataRow(".safetensors")]
    [DataRow(".pth")]
    public void CheckpointRoundTripGivesIdenticalLogits(string extension)
    {
        using var dir = new TempDir();
        var path = dir.File("atto" + extension);
        set_num_threads(1);
        manual_seed(9);
        using var model = TorchModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 10 });
        RandomiseNormStatistics(model);
        Checkpoint.SaveStateDict(path, model.ToStateDict());
        using var x = randn(2, 3, 64, 64);
        var expected = EvalLogits(model, x);

        using var loaded = PretrainedWeights.Create("inceptionnext_atto", path);
        Assert.AreEqual(10, loaded.Config.NumClasses, "class count inferred from the checkpoint");
        var actual = EvalLogits(loaded, x);
        Assert.HasCount(20, actual);
        Assert.AreEqual(0.0, MaxAbsDiff(expected, actual), 1e-6);
        Assert.IsTrue(expected.Max(Math.Abs) > 1e-3, "logits are not trivially zero");
    }

    [TestMethod]
    public void TransferKeepsTheBackboneAndReplacesTheClassifier()
    {
        using var dir = new TempDir();
        var path = dir.File("atto10.safetensors");
        manual_seed(10);
        StateDict checkpoint;
        using (var source = TorchModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 10 }))
        {
            RandomiseNormStatistics(source);
            checkpoint = source.ToStateDict();
            Checkpoint.SaveStateDict(path, checkpoint);
        }

        using var model = PretrainedWeights.Create("inceptionnext_atto", path, numClasses: 3);
        Assert.AreEqual(3, model.Config.NumClasses);
        var state = model.ToStateDict();
        CollectionAssert.AreEqual(new long[] { 3, 960 }, state["head.fc2.weight"].Shape);
        Assert.IsTrue(state["head.fc2.bias"].ToFloat32().All(v => v == 0), "fresh classifier bias is zero");
        var w = state["head.fc2.weight"].ToFloat32();
        Assert.AreEqual(0.02, Math.Sqrt(w.Average(v => (double)v * v)), 0.005, "fresh classifier weight ~ trunc-normal(0.02)");
        var compared = 0;
        foreach (var (name, value) in checkpoint)
        {
            if (name.StartsWith("head.fc2.", StringComparison.Ordinal)) continue;
            CollectionAssert.AreEqual(value.Data, state[name].Data, $"{name} differs from the checkpoint");
            compared++;
        }
        Assert.AreEqual(state.Count - 2, compared);
        Assert.AreEqual(1, model.named_modules().Count(m => m.name == "head.fc2"), "one classifier registered");
        using var x = randn(2, 3, 32, 32);
        Assert.HasCount(6, EvalLogits(model, x));
    }

    [TestMethod]
    public void OfficialConvNeXtLayoutLoadsStrictlyThroughPretrainedWeights()
    {
        var config = ModelRegistry.GetConfig("convnext_tiny") with { Depths = [1, 1, 2, 1], Dims = [16, 32, 48, 64], NumClasses = 5 };
        manual_seed(12);
        using var source = TorchModelRegistry.Create(config);
        RandomiseNormStatistics(source);
        var official = new StateDict();
        foreach (var (name, value) in source.ToStateDict()) official.Add(ToOfficial(name), value);
        using var dir = new TempDir();
        Checkpoint.SaveStateDict(dir.File("official.pth"), official);
        using var x = randn(2, 3, 32, 32);
        using var loaded = PretrainedWeights.Create("convnext_tiny", dir.File("official.pth"), configure: _ => config);
        Assert.AreEqual(0.0, MaxAbsDiff(EvalLogits(source, x), EvalLogits(loaded, x)), 1e-6);
    }

    /// <summary>timm name -> the official ConvNeXt repository's name.</summary>
    private static string ToOfficial(string name)
    {
        var parts = name.Split('.');
        if (parts[0] == "stem") return "downsample_layers.0." + string.Join('.', parts[1..]);
        if (parts[0] == "stages" && parts[2] == "downsample") return $"downsample_layers.{parts[1]}." + string.Join('.', parts[3..]);
        if (parts[0] == "stages" && parts[2] == "blocks")
        {
            var rest = string.Join('.', parts[4..])
                .Replace("conv_dw", "dwconv", StringComparison.Ordinal)
                .Replace("mlp.fc1", "pwconv1", StringComparison.Ordinal)
                .Replace("mlp.fc2", "pwconv2", StringComparison.Ordinal);
            return $"stages.{parts[1]}.{parts[3]}.{rest}";
        }
        if (name.StartsWith("head.norm.", StringComparison.Ordinal)) return name["head.".Length..];
        if (name.StartsWith("head.fc.", StringComparison.Ordinal)) return "head." + name["head.fc.".Length..];
        return name;
    }

    // ---------------------------------------------------------------- modes and composition

    [TestMethod]
    public void TrainAndEvalPropagateAndControlBatchNormStatistics()
    {
        manual_seed(15);
        using var model = TorchModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 4 });
        Assert.IsTrue(model.modules().All(m => m.training), "modules start in training mode");
        model.eval();
        Assert.IsTrue(model.modules().All(m => !m.training), "eval reaches every descendant");
        model.train();
        Assert.IsTrue(model.modules().All(m => m.training), "train reaches every descendant");

        using var x = randn(4, 3, 32, 32);
        const string stat = "stages.1.blocks.0.norm.running_mean";
        var initial = Values(model, stat);
        model.eval();
        using (no_grad())
        {
            CollectionAssert.AreEqual(EvalLogits(model, x), EvalLogits(model, x), "eval forward is deterministic");
        }
        CollectionAssert.AreEqual(initial, Values(model, stat), "eval does not touch running statistics");
        Assert.AreEqual(0L, model.state_dict()["stem.1.num_batches_tracked"].item<long>());

        model.train();
        using (no_grad())
        using (var y = model.call(x)) { }
        Assert.IsTrue(MaxAbsDiff(initial, Values(model, stat)) > 1e-6, "a training forward updates running statistics");
        Assert.AreEqual(1L, model.state_dict()["stem.1.num_batches_tracked"].item<long>());
    }

    [TestMethod]
    public void DropPathIsActiveOnlyInTraining()
    {
        using var x = randn(4, 3, 32, 32);
        float[] TwoForwards(ImageClassifier model, bool training, out float[] second)
        {
            model.train(training);
            using var noGrad = no_grad();
            using var a = model.call(x);
            using var b = model.call(x);
            second = ToArray(b);
            return ToArray(a);
        }

        manual_seed(16);
        using var plain = TorchModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 4, LayerScaleInit = 1.0 });
        var p1 = TwoForwards(plain, true, out var p2);
        CollectionAssert.AreEqual(p1, p2, "control: without drop path two training forwards agree");

        manual_seed(16);
        using var dropping = TorchModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 4, LayerScaleInit = 1.0, DropPathRate = 0.5 });
        Assert.IsTrue(dropping.modules().Any(m => m is DropPath { P: 0.5 }), "the last block drops with p = 0.5");
        var t1 = TwoForwards(dropping, true, out var t2);
        Assert.IsTrue(MaxAbsDiff(t1, t2) > 1e-4, "training forwards differ with drop path");
        var e1 = TwoForwards(dropping, false, out var e2);
        CollectionAssert.AreEqual(e1, e2, "eval forwards agree");
    }

    [TestMethod]
    public void TorchSharpsAdamWTrainsTheModel()
    {
        manual_seed(17);
        using var model = TorchModelRegistry.Create("convnext_atto", c => c with { NumClasses = 4 });
        using var optimizer = optim.AdamW(model.parameters(), 1e-2);
        var before = Values(model, "stem.0.weight");
        using var x = randn(2, 3, 32, 32);
        using var y = tensor(new long[] { 1, 3 });
        using (var scope = NewDisposeScope())
        {
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            optimizer.step();
        }
        var after = Values(model, "stem.0.weight");
        Assert.IsTrue(MaxAbsDiff(before, after) > 5e-3, $"the model's weights moved by {MaxAbsDiff(before, after):E2}");
    }
}
