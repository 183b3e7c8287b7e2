using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Training.Checkpoints;
using InceptionNeXt.Training.LibTorch;
using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.Modules;

namespace InceptionNeXt.Tests.Models;

/// <summary>
/// The model zoo: sizes and MACs against timm and the paper, timm's state-dict names, ablation knobs, input checks,
/// checkpoint mismatches, round trips and transfer, and module mode / device plumbing.
/// </summary>
[TestClass]
public sealed class ModelZooTests
{
    private static ImageClassifier CreateOnMeta(string name, Func<ModelConfig, ModelConfig>? configure = null)
    {
        using var meta = Torch.UseDefaultDevice(Device.Meta);
        return ModelRegistry.Create(name, configure);
    }

    private static Dictionary<string, long[]> StateShapes(Module model) =>
        model.NamedStateTensors().ToDictionary(t => t.Name, t => t.Tensor.Shape);

    private static float[] Values(Module model, string name) =>
        model.NamedStateTensors().Single(t => t.Name == name).Tensor.ToFloatArray();

    /// <summary>Fresh BN layers are an identity in eval mode; random statistics make eval comparisons meaningful.</summary>
    private static void RandomiseNormStatistics(Module model)
    {
        foreach (var (name, tensor) in model.NamedStateTensors())
        {
            if (name.EndsWith("running_mean", StringComparison.Ordinal)) Init.Normal(tensor, 0, 0.1);
            else if (name.EndsWith("running_var", StringComparison.Ordinal)) Init.Uniform(tensor, 0.5, 1.5);
            else if (name.EndsWith(".gamma", StringComparison.Ordinal)) Init.Normal(tensor, 0, 0.3);
        }
    }

    private static float[] EvalLogits(ImageClassifier model, Tensor x)
    {
        model.Eval();
        using var noGrad = Torch.NoGrad();
        using var logits = model.Forward(x);
        return logits.ToFloatArray();
    }

    private static double MaxAbsDiff(float[] a, float[] b)
    {
        Assert.AreEqual(a.Length, b.Length, "lengths");
        return a.Zip(b, (u, v) => Math.Abs((double)u - v)).DefaultIfEmpty(0).Max();
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
        Assert.AreEqual(Device.Meta, model.Parameters().First().Device);
    }

    [TestMethod]
    public void AllocatedModelHasTheSameParameterCountAsOnMeta()
    {
        using var meta = CreateOnMeta("inceptionnext_atto");
        using var real = ModelRegistry.Create("inceptionnext_atto");
        Assert.AreEqual(Device.Cpu, real.Parameters().First().Device);
        Assert.AreEqual(4_156_520L, real.ParameterCount());
        Assert.AreEqual(meta.ParameterCount(), real.ParameterCount());
        CollectionAssert.AreEqual(
            meta.NamedStateTensors().Select(t => t.Name + string.Join("x", t.Tensor.Shape)).ToList(),
            real.NamedStateTensors().Select(t => t.Name + string.Join("x", t.Tensor.Shape)).ToList());
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
        Console.WriteLine($"{name}: {gmacs:F3} GMACs at 224 (paper {paperGMacs})");
        Assert.AreEqual(paperGMacs, gmacs, paperGMacs * 0.02, $"{name}: {gmacs:F3} GMACs");
        // Four times the pixels, roughly four times the work (the head is the only part that does not scale).
        var gmacs448 = model.CountMacs(448, 448) / 1e9;
        Assert.AreEqual(4 * gmacs, gmacs448, 0.01 * 4 * gmacs);
    }

    [TestMethod]
    public void EveryRegisteredNameBuildsOnMeta()
    {
        Assert.IsTrue(ModelRegistry.Names.Count >= 8);
        foreach (var expected in new[] { "inceptionnext_atto", "inceptionnext_base_384", "convnext_tiny_k3_par1_8" })
            CollectionAssert.Contains(ModelRegistry.Names.ToList(), expected);
        foreach (var name in ModelRegistry.Names)
        {
            using var model = CreateOnMeta(name);
            Assert.AreEqual(name, model.Config.Name);
            Assert.AreEqual(1000, model.Config.NumClasses);
            Assert.IsTrue(model.ParameterCount() > 1_000_000, name);
            Assert.IsTrue(model.NamedStateTensors().All(t => t.Tensor.Device == Device.Meta), $"{name} allocated on the CPU");
        }
        var e = Assert.ThrowsExactly<ArgumentException>(() => ModelRegistry.GetConfig("resnet50"));
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
            ["stages.2.downsample.1.weight"] = [160, 80, 2, 2],
            ["stages.2.blocks.5.token_mixer.dwconv_w.weight"] = [40, 1, 1, 9],
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

        using var partial = CreateOnMeta("convnext_tiny_k3_par1_8");
        var partialShapes = StateShapes(partial);
        CollectionAssert.AreEqual(new long[] { 12, 1, 3, 3 }, partialShapes["stages.0.blocks.0.conv_dw.conv.weight"]);
        Assert.IsFalse(partialShapes.ContainsKey("stages.0.blocks.0.conv_dw.weight"));
    }

    // ---------------------------------------------------------------- ablation knobs

    [TestMethod]
    public void BandKernelSizeChangesTheBandConvolutions()
    {
        using var model = CreateOnMeta("inceptionnext_atto", c => c with { BandKernelSize = 13 });
        var shapes = StateShapes(model);
        // gc = dim * branch ratio 0.25: 10 in stage 0, 40 in stage 2.
        CollectionAssert.AreEqual(new long[] { 10, 1, 1, 13 }, shapes["stages.0.blocks.0.token_mixer.dwconv_w.weight"]);
        CollectionAssert.AreEqual(new long[] { 10, 1, 13, 1 }, shapes["stages.0.blocks.0.token_mixer.dwconv_h.weight"]);
        CollectionAssert.AreEqual(new long[] { 40, 1, 1, 13 }, shapes["stages.2.blocks.5.token_mixer.dwconv_w.weight"]);
        CollectionAssert.AreEqual(new long[] { 10, 1, 3, 3 }, shapes["stages.0.blocks.0.token_mixer.dwconv_hw.weight"]);
        Assert.ThrowsExactly<ArgumentException>(() => CreateOnMeta("inceptionnext_atto", c => c with { BandKernelSize = 12 }));
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(1)]
    public void SmallStemStridesAcceptTinyImages(int stride)
    {
        Torch.ManualSeed(3);
        using var model = ModelRegistry.Create("inceptionnext_atto", c => c with { StemStride = stride, NumClasses = 7 });
        Assert.AreEqual(stride * 8, model.Config.MinInputSize);
        using var x = Torch.Randn([2, 3, 28, 28]);
        model.Eval();
        using var noGrad = Torch.NoGrad();
        using var features = model.ForwardFeatures(x);
        var side = 28 / stride / 8; // 28 -> 14 -> 7 -> 3 (stride 1) or 14 -> 7 -> 3 -> 1 (stride 2)
        CollectionAssert.AreEqual(new long[] { 2, 320, side, side }, features.Shape);
        using var logits = model.Forward(x);
        CollectionAssert.AreEqual(new long[] { 2, 7 }, logits.Shape);
        Assert.IsTrue(logits.ToFloatArray().All(float.IsFinite));
    }

    [TestMethod]
    public void DefaultStemStrideRejectsTinyImagesNamingTheMinimum()
    {
        using var model = CreateOnMeta("inceptionnext_atto", c => c with { NumClasses = 7 });
        using var meta = Torch.UseDefaultDevice(Device.Meta);
        using var x = Torch.Zeros([2, 3, 28, 28]);
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.Forward(x));
        StringAssert.Contains(e.Message, "32x32");
        StringAssert.Contains(e.Message, "28x28");
    }

    [TestMethod]
    [DataRow("inceptionnext_atto")]
    [DataRow("convnext_atto")]
    public void AnyClassCount(string name)
    {
        Torch.ManualSeed(5);
        using var model = ModelRegistry.Create(name, c => c with { NumClasses = 7 });
        Assert.AreEqual(7, model.Config.NumClasses);
        using var x = Torch.Randn([3, 3, 32, 32]);
        var logits = EvalLogits(model, x);
        Assert.HasCount(21, logits);
        var shapes = StateShapes(model);
        Assert.AreEqual(7L, shapes[model.ClassifierName + ".weight"][0]);
    }

    // ---------------------------------------------------------------- bad input

    [TestMethod]
    public void BadInputIsRejectedWithArgumentExceptions()
    {
        using var model = CreateOnMeta("inceptionnext_atto");
        using var meta = Torch.UseDefaultDevice(Device.Meta);
        using var gray = Torch.Zeros([2, 1, 64, 64]);
        var e = Assert.ThrowsExactly<ArgumentException>(() => model.Forward(gray));
        StringAssert.Contains(e.Message, "3 input channels");
        StringAssert.Contains(e.Message, "got 1");

        using var threeD = Torch.Zeros([3, 64, 64]);
        e = Assert.ThrowsExactly<ArgumentException>(() => model.Forward(threeD));
        StringAssert.Contains(e.Message, "4-d");

        using var small = Torch.Zeros([1, 3, 16, 64]);
        e = Assert.ThrowsExactly<ArgumentException>(() => model.Forward(small));
        StringAssert.Contains(e.Message, "at least 32x32");
    }

    // ---------------------------------------------------------------- checkpoint mismatches

    [TestMethod]
    public void LoadingAConvNeXtCheckpointIntoInceptionNeXtListsMissingAndUnexpectedKeys()
    {
        using var dir = new TempDir();
        var path = dir.File("convnext_atto.safetensors");
        Torch.ManualSeed(1);
        using (var convnext = ModelRegistry.Create("convnext_atto"))
            Checkpoint.SaveStateDict(path, convnext.StateDict());

        Torch.ManualSeed(2);
        using var model = ModelRegistry.Create("inceptionnext_atto");
        var before = Values(model, "stem.0.weight");
        var e = Assert.ThrowsExactly<StateDictMismatchException>(() => model.LoadStateDict(Checkpoint.LoadStateDict(path), strict: true, path));
        CollectionAssert.Contains(e.Missing.ToList(), "stages.0.blocks.0.token_mixer.dwconv_hw.weight");
        CollectionAssert.Contains(e.Missing.ToList(), "head.fc2.weight");
        CollectionAssert.Contains(e.Unexpected.ToList(), "stages.0.blocks.0.conv_dw.weight");
        CollectionAssert.Contains(e.Unexpected.ToList(), "head.fc.weight");
        CollectionAssert.DoesNotContain(e.Missing.ToList(), "stem.0.weight", "same name and shape in both");
        StringAssert.Contains(e.Message, "missing keys");
        StringAssert.Contains(e.Message, "unexpected keys");
        StringAssert.Contains(e.Message, path);
        // stem.0.weight has the same name and shape in both, but a failed strict load changes nothing.
        CollectionAssert.AreEqual(before, Values(model, "stem.0.weight"));

        Assert.ThrowsExactly<StateDictMismatchException>(() => PretrainedWeights.Create("inceptionnext_atto", path));
    }

    [TestMethod]
    public void ShapeMismatchesListBothShapes()
    {
        using var dir = new TempDir();
        var path = dir.File("wide.pth");
        Torch.ManualSeed(1);
        using (var wide = ModelRegistry.Create("inceptionnext_atto", c => c with { Dims = [48, 96, 192, 384] }))
            Checkpoint.SaveStateDict(path, wide.StateDict());

        using var model = ModelRegistry.Create("inceptionnext_atto");
        var e = Assert.ThrowsExactly<StateDictMismatchException>(() => model.LoadStateDict(Checkpoint.LoadStateDict(path)));
        CollectionAssert.Contains(e.ShapeMismatches.ToList(), "stem.0.weight (checkpoint [48, 3, 4, 4], model [40, 3, 4, 4])");
        Assert.IsEmpty(e.Missing);
        Assert.IsEmpty(e.Unexpected);
        StringAssert.Contains(e.Message, "shape mismatches");
        StringAssert.Contains(e.Message, "checkpoint [48, 3, 4, 4], model [40, 3, 4, 4]");
    }

    [TestMethod]
    public void AFailedStrictLoadChangesNothing()
    {
        Torch.ManualSeed(1);
        using var source = ModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 7 });
        var checkpoint = source.StateDict();
        Torch.ManualSeed(2);
        using var target = ModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 10 });
        var before = target.StateDict();
        CollectionAssert.AreNotEqual(checkpoint["stem.0.weight"].ToFloat32(), before["stem.0.weight"].ToFloat32());

        // Everything matches except the classifier's shape.
        var e = Assert.ThrowsExactly<StateDictMismatchException>(() => target.LoadStateDict(checkpoint));
        Assert.HasCount(2, e.ShapeMismatches);
        StringAssert.Contains(e.Message, "--num-classes");
        foreach (var name in new[] { "stem.0.weight", "stem.1.running_mean", "stages.3.blocks.1.mlp.fc2.weight", "head.fc1.weight" })
            CollectionAssert.AreEqual(before[name].ToFloat32(), Values(target, name), name);

        // Everything matches plus one extra key.
        var extra = new StateDict();
        foreach (var (name, value) in before) extra.Add(name, value);
        foreach (var (name, value) in checkpoint)
            if (!name.StartsWith("head.fc2.", StringComparison.Ordinal)) extra.Set(name, value);
        extra.Add("bogus.weight", TensorData.FromFloat32([1f], [1]));
        var e2 = Assert.ThrowsExactly<StateDictMismatchException>(() => target.LoadStateDict(extra));
        CollectionAssert.AreEqual(new[] { "bogus.weight" }, e2.Unexpected.ToList());
        CollectionAssert.AreEqual(before["stem.0.weight"].ToFloat32(), Values(target, "stem.0.weight"));

        // Non-strict loads the matching keys and reports the extra one.
        var result = target.LoadStateDict(extra, strict: false);
        CollectionAssert.AreEqual(new[] { "bogus.weight" }, result.Unexpected.ToList());
        CollectionAssert.AreEqual(checkpoint["stem.0.weight"].ToFloat32(), Values(target, "stem.0.weight"));
    }

    // ---------------------------------------------------------------- round trips and transfer

    [TestMethod]
    [DataRow(".safetensors")]
    [DataRow(".pth")]
    public void CheckpointRoundTripGivesIdenticalLogits(string extension)
    {
        using var dir = new TempDir();
        var path = dir.File("atto" + extension);
        Torch.NumThreads = 1;
        Torch.ManualSeed(9);
        using var model = ModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 10 });
        RandomiseNormStatistics(model);
        Checkpoint.SaveStateDict(path, model.StateDict());
        using var x = Torch.Randn([2, 3, 64, 64]);
        var expected = EvalLogits(model, x);

        using var loaded = PretrainedWeights.Create("inceptionnext_atto", path);
        Assert.AreEqual(10, loaded.Config.NumClasses, "class count inferred from the checkpoint");
        var actual = EvalLogits(loaded, x);
        Assert.HasCount(20, actual);
        Assert.IsTrue(MaxAbsDiff(expected, actual) <= 1e-6, $"max abs diff {MaxAbsDiff(expected, actual):E3}");
        Assert.IsTrue(expected.Select(v => Math.Abs(v)).Max() > 1e-3, "logits are not trivially zero");
    }

    [TestMethod]
    public void TransferKeepsTheBackboneAndReplacesTheClassifier()
    {
        using var dir = new TempDir();
        var path = dir.File("atto10.safetensors");
        Torch.ManualSeed(10);
        StateDict checkpoint;
        using (var source = ModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 10 }))
        {
            RandomiseNormStatistics(source);
            checkpoint = source.StateDict();
            Checkpoint.SaveStateDict(path, checkpoint);
        }

        using var model = PretrainedWeights.Create("inceptionnext_atto", path, numClasses: 3);
        Assert.AreEqual(3, model.Config.NumClasses);
        var state = model.StateDict();
        CollectionAssert.AreEqual(new long[] { 3, 960 }, state["head.fc2.weight"].Shape);
        CollectionAssert.AreEqual(new long[] { 3 }, state["head.fc2.bias"].Shape);
        Assert.IsTrue(state["head.fc2.bias"].ToFloat32().All(v => v == 0), "fresh classifier bias is zero");
        var w = state["head.fc2.weight"].ToFloat32();
        var std = Math.Sqrt(w.Average(v => (double)v * v));
        Assert.AreEqual(0.02, std, 0.005, "fresh classifier weight ~ trunc-normal(0.02)");

        var compared = 0;
        foreach (var (name, value) in checkpoint)
        {
            if (name.StartsWith("head.fc2.", StringComparison.Ordinal)) continue;
            Assert.IsTrue(state.ContainsKey(name), name);
            CollectionAssert.AreEqual(value.Data, state[name].Data, $"{name} differs from the checkpoint");
            compared++;
        }
        Assert.AreEqual(state.Count - 2, compared);

        using var x = Torch.Randn([2, 3, 32, 32]);
        Assert.HasCount(6, EvalLogits(model, x));
    }

    [TestMethod]
    public void NewHeadReplacesTheClassifierEvenWhenTheCountMatches()
    {
        using var dir = new TempDir();
        var path = dir.File("atto3.safetensors");
        Torch.ManualSeed(11);
        StateDict checkpoint;
        using (var source = ModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 3 }))
        {
            foreach (var (n, t) in source.NamedStateTensors())
                if (n == "head.fc2.bias") Init.Normal(t, 0, 1);
            checkpoint = source.StateDict();
            Checkpoint.SaveStateDict(path, checkpoint);
        }
        using (var kept = PretrainedWeights.Create("inceptionnext_atto", path, numClasses: 3))
            CollectionAssert.AreEqual(checkpoint["head.fc2.bias"].Data, kept.StateDict()["head.fc2.bias"].Data, "same count: classifier kept");
        using var fresh = PretrainedWeights.Create("inceptionnext_atto", path, numClasses: 3, newHead: true);
        var state = fresh.StateDict();
        Assert.IsTrue(state["head.fc2.bias"].ToFloat32().All(v => v == 0), "new head: fresh classifier");
        CollectionAssert.AreEqual(checkpoint["stages.3.blocks.1.mlp.fc1.weight"].Data, state["stages.3.blocks.1.mlp.fc1.weight"].Data, "backbone kept");
    }

    [TestMethod]
    public void OfficialConvNeXtLayoutIsRenamedToTimmAndLoadsStrictly()
    {
        var config = ModelRegistry.GetConfig("convnext_tiny") with { Depths = [1, 1, 2, 1], Dims = [16, 32, 48, 64], NumClasses = 5 };
        Assert.IsFalse(config.ConvMlp);
        Torch.ManualSeed(12);
        using var source = ModelRegistry.Create(config);
        RandomiseNormStatistics(source);
        var timm = source.StateDict();

        var official = new StateDict();
        foreach (var (name, value) in timm) official.Add(ToOfficial(name), value);
        CollectionAssert.Contains(official.Keys.ToList(), "downsample_layers.0.0.weight");
        CollectionAssert.Contains(official.Keys.ToList(), "downsample_layers.2.1.weight");
        CollectionAssert.Contains(official.Keys.ToList(), "stages.2.1.dwconv.weight");
        CollectionAssert.Contains(official.Keys.ToList(), "stages.2.1.pwconv2.bias");
        CollectionAssert.Contains(official.Keys.ToList(), "stages.2.1.gamma");
        CollectionAssert.Contains(official.Keys.ToList(), "norm.weight");
        CollectionAssert.Contains(official.Keys.ToList(), "head.weight");
        Assert.IsFalse(official.Keys.Any(k => k.Contains("blocks") || k.Contains("stem") || k.Contains("mlp")));

        var converted = CheckpointLayouts.ToTimm(official);
        CollectionAssert.AreEquivalent(timm.Keys.ToList(), converted.Keys.ToList());
        Assert.AreSame(timm, CheckpointLayouts.ToTimm(timm), "timm layout passes through");

        Torch.ManualSeed(13);
        using var target = ModelRegistry.Create(config);
        target.LoadStateDict(converted, strict: true);
        using var x = Torch.Randn([2, 3, 32, 32]);
        var expected = EvalLogits(source, x);
        var actual = EvalLogits(target, x);
        Assert.IsTrue(MaxAbsDiff(expected, actual) <= 1e-6);

        // The same through a file and PretrainedWeights (which converts on read).
        using var dir = new TempDir();
        Checkpoint.SaveStateDict(dir.File("official.pth"), official);
        using var loaded = PretrainedWeights.Create("convnext_tiny", dir.File("official.pth"), configure: c => config);
        Assert.AreEqual(5, loaded.Config.NumClasses);
        Assert.IsTrue(MaxAbsDiff(expected, EvalLogits(loaded, x)) <= 1e-6);
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

    // ---------------------------------------------------------------- module plumbing

    [TestMethod]
    public void ToCpuKeepsTheParameterObjects()
    {
        Torch.ManualSeed(14);
        using var model = ModelRegistry.Create("convnext_atto", c => c with { NumClasses = 4 });
        var before = model.NamedStateTensors().ToList();
        var values = before.First().Tensor.ToFloatArray();
        Assert.AreSame(model, model.To(Device.Cpu));
        var after = model.NamedStateTensors().ToList();
        Assert.HasCount(before.Count, after);
        for (var i = 0; i < before.Count; i++)
        {
            Assert.AreSame(before[i].Tensor, after[i].Tensor, before[i].Name);
            Assert.AreEqual(Device.Cpu, after[i].Tensor.Device);
            Assert.IsFalse(after[i].Tensor.IsDisposed);
        }
        CollectionAssert.AreEqual(values, after[0].Tensor.ToFloatArray());
        Assert.IsTrue(model.Parameters().All(p => p.RequiresGrad));
        if (!Torch.CudaIsAvailable)
            Assert.ThrowsExactly<TorchException>(() => model.To(Device.Cuda()));
    }

    [TestMethod]
    public void AnOptimizerCreatedBeforeToStillTrainsTheModel()
    {
        Torch.ManualSeed(17);
        using var model = ModelRegistry.Create("convnext_atto", c => c with { NumClasses = 4 });
        using var optimizer = new InceptionNeXt.Training.Optim.AdamW(InceptionNeXt.Training.Optim.Optimizer.DecayGroups(model, 0.05), 1e-2);
        model.To(Device.Cpu);
        var before = Values(model, "stem.0.weight");
        using var x = Torch.Randn([2, 3, 32, 32]);
        using var y = Torch.FromArray([1L, 3L], [2]);
        using (var scope = Torch.NewDisposeScope())
        {
            Functional.CrossEntropy(model.Forward(x), y).Backward();
            optimizer.Step();
        }
        var after = Values(model, "stem.0.weight");
        // AdamW's first step moves every weight with a non-zero gradient by about the learning rate.
        Assert.IsTrue(MaxAbsDiff(before, after) > 5e-3, $"the model's weights moved by {MaxAbsDiff(before, after):E2}");
    }

    [TestMethod]
    public void TrainAndEvalPropagateAndControlBatchNormStatistics()
    {
        Torch.ManualSeed(15);
        using var model = ModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 4 });
        Assert.IsTrue(model.NamedModules().All(m => m.Module.IsTraining), "modules start in training mode");
        model.Eval();
        Assert.IsTrue(model.NamedModules().All(m => !m.Module.IsTraining), "Eval reaches every descendant");
        model.Train();
        Assert.IsTrue(model.NamedModules().All(m => m.Module.IsTraining), "Train reaches every descendant");

        using var x = Torch.Randn([4, 3, 32, 32]);
        const string stat = "stages.1.blocks.0.norm.running_mean";
        var initial = Values(model, stat);
        var counter = model.NamedBuffers().Single(b => b.Name == "stem.1.num_batches_tracked").Buffer;

        model.Eval();
        using (Torch.NoGrad())
        using (var scope = Torch.NewDisposeScope())
        {
            var a = model.Forward(x).ToFloatArray();
            var b = model.Forward(x).ToFloatArray();
            CollectionAssert.AreEqual(a, b, "eval forward is deterministic");
        }
        CollectionAssert.AreEqual(initial, Values(model, stat), "eval does not touch running statistics");
        Assert.AreEqual(0.0, counter.Item());

        model.Train();
        using (Torch.NoGrad())
        using (var scope = Torch.NewDisposeScope())
            model.Forward(x);
        var trained = Values(model, stat);
        Assert.IsTrue(MaxAbsDiff(initial, trained) > 1e-6, "a training forward updates running statistics");
        Assert.AreEqual(1.0, counter.Item());
    }

    [TestMethod]
    public void DropPathIsActiveOnlyInTraining()
    {
        using var x = Torch.Randn([4, 3, 32, 32]);
        float[] TwoForwards(ImageClassifier model, bool training, out float[] second)
        {
            model.Train(training);
            using var noGrad = Torch.NoGrad();
            using var scope = Torch.NewDisposeScope();
            var first = model.Forward(x).ToFloatArray();
            second = model.Forward(x).ToFloatArray();
            return first;
        }

        Torch.ManualSeed(16);
        using var plain = ModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 4, LayerScaleInit = 1.0 });
        var p1 = TwoForwards(plain, true, out var p2);
        CollectionAssert.AreEqual(p1, p2, "control: without drop path two training forwards agree");

        Torch.ManualSeed(16);
        using var dropping = ModelRegistry.Create("inceptionnext_atto", c => c with { NumClasses = 4, LayerScaleInit = 1.0, DropPathRate = 0.5 });
        Assert.IsTrue(dropping.NamedModules().Any(m => m.Module is DropPath { P: 0.5 }), "the last block drops with p = 0.5");
        var t1 = TwoForwards(dropping, true, out var t2);
        Assert.IsTrue(MaxAbsDiff(t1, t2) > 1e-4, "training forwards differ with drop path");
        var e1 = TwoForwards(dropping, false, out var e2);
        CollectionAssert.AreEqual(e1, e2, "eval forwards agree");
    }
}
