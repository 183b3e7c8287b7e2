using InceptionNeXt.Training.Models;
using InceptionNeXt.Training.TorchModels;
using TorchSharp;
using static InceptionNeXt.Tests.Models.ZooTestHelpers;
using static TorchSharp.torch;
using ImageClassifier = InceptionNeXt.Training.TorchModels.ImageClassifier;

namespace InceptionNeXt.Tests.Models;

/// <summary>
/// The isotropic models (InceptionNeXt paper Table 3, ConvNeXt's isotropic design): parameter counts and MACs, the
/// official ConvNeXt-iso state-dict names, config validation, shapes, channels-last, classifier replacement and a few
/// AdamW steps that lower the loss.
/// </summary>
[TestClass]
public sealed class IsotropicModelTests
{
    private static ImageClassifier CreateOnMeta(string name) => TorchModelRegistry.CreateOnMeta(ModelRegistry.GetConfig(name));

    private static ModelConfig Small(string name, int classes = 5) => ModelRegistry.GetConfig(name) with
    {
        NumClasses = classes, Depths = [2], Dims = [48], StemStride = 4,
    };

    [TestMethod]
    [DataRow("convnext_isotropic_small", 22_308_712L, 4.3)]
    [DataRow("convnext_isotropic_base", 87_083_752L, 16.9)]
    [DataRow("inceptionnext_isotropic_small", 21_992_488L, 4.2)]
    [DataRow("inceptionnext_isotropic_base", 86_451_304L, 16.8)]
    public void IsotropicCountsMatchTheReferenceAndMacsAreWithinTwoPercentOfThePaper(string name, long parameters, double paperGMacs)
    {
        using var model = CreateOnMeta(name);
        Assert.IsInstanceOfType<IsotropicModel>(model);
        Assert.AreEqual(parameters, model.ParameterCount(), name);
        var gmacs = model.CountMacs(224, 224) / 1e9;
        Assert.AreEqual(paperGMacs, gmacs, paperGMacs * 0.02, $"{name}: {gmacs:F3} GMACs");
        Assert.AreEqual(4 * gmacs, model.CountMacs(448, 448) / 1e9, 0.01 * 4 * gmacs, "MACs scale with the token count");
    }

    [TestMethod]
    public void IsotropicMacsAreCountedExactly()
    {
        // convnext_isotropic_small at 224: 14x14 tokens; stem 16x16x3 -> 384, 18 x (7x7 depthwise + 384 -> 1536 -> 384), head.
        const long tokens = 14 * 14;
        const long block = (tokens * 384 * 49) + (2 * tokens * 384 * 1536);
        const long expected = (tokens * 384 * 3 * 256) + (18 * block) + (384 * 1000);
        using var model = CreateOnMeta("convnext_isotropic_small");
        Assert.AreEqual(expected, model.CountMacs(224, 224));
        // The Inception mixer: 48 channels per branch, 3x3 + 1x11 + 11x1 taps instead of 384 channels of 7x7.
        using var inx = CreateOnMeta("inceptionnext_isotropic_small");
        Assert.AreEqual(expected - (18 * tokens * ((384 * 49) - (48 * (9 + 11 + 11)))), inx.CountMacs(224, 224));
    }

    [TestMethod]
    public void IsotropicStateDictNamesAreConvNeXtIsos()
    {
        using var model = CreateOnMeta("convnext_isotropic_small");
        var expected = new List<string> { "stem.weight", "stem.bias" };
        for (var i = 0; i < 18; i++)
            foreach (var layer in new[] { "dwconv", "norm", "pwconv1", "pwconv2" })
                expected.AddRange([$"blocks.{i}.{layer}.weight", $"blocks.{i}.{layer}.bias"]);
        expected.AddRange(["norm.weight", "norm.bias", "head.weight", "head.bias"]);
        CollectionAssert.AreEquivalent(expected, model.state_dict().Keys.ToList(), "exactly convnext_isotropic.py's keys (no gamma, no buffers)");
        var shapes = StateShapes(model);
        CollectionAssert.AreEqual(new long[] { 384, 3, 16, 16 }, shapes["stem.weight"]);
        CollectionAssert.AreEqual(new long[] { 384, 1, 7, 7 }, shapes["blocks.17.dwconv.weight"]);
        CollectionAssert.AreEqual(new long[] { 1536, 384 }, shapes["blocks.0.pwconv1.weight"]);
        CollectionAssert.AreEqual(new long[] { 1000, 384 }, shapes["head.weight"]);
        Assert.AreEqual("head", model.ClassifierName);

        using var inx = CreateOnMeta("inceptionnext_isotropic_base");
        var inxShapes = StateShapes(inx);
        CollectionAssert.AreEqual(new long[] { 96, 1, 3, 3 }, inxShapes["blocks.0.dwconv.dwconv_hw.weight"]);
        CollectionAssert.AreEqual(new long[] { 96, 1, 1, 11 }, inxShapes["blocks.0.dwconv.dwconv_w.weight"]);
        CollectionAssert.AreEqual(new long[] { 96, 1, 11, 1 }, inxShapes["blocks.17.dwconv.dwconv_h.weight"]);
        Assert.IsFalse(inxShapes.ContainsKey("blocks.0.dwconv.weight"));
        // Everything but the mixer has ConvNeXt-iso-B's names and shapes.
        using var cnx = CreateOnMeta("convnext_isotropic_base");
        var shared = StateShapes(cnx).Where(kv => !kv.Key.Contains(".dwconv.", StringComparison.Ordinal)).ToList();
        Assert.HasCount(2 + (18 * 6) + 4, shared);
        foreach (var (name, shape) in shared) CollectionAssert.AreEqual(shape, inxShapes[name], name);
    }

    [TestMethod]
    public void IsotropicLayerScaleIsOptionalAndConfigsAreValidated()
    {
        using var withGamma = TorchModelRegistry.CreateOnMeta(Small("inceptionnext_isotropic_small") with { LayerScaleInit = 1e-6 });
        CollectionAssert.AreEqual(new long[] { 48 }, StateShapes(withGamma)["blocks.1.gamma"]);
        var iso = ModelRegistry.GetConfig("convnext_isotropic_small");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => (iso with { Depths = [9, 9], Dims = [384, 384], MlpRatios = [4, 4] }).Validate()).Message, "one stage");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => (iso with { StemStride = 1 }).Validate()).Message, "patch size");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => (iso with { PartialRatio = 0.5 }).Validate()).Message, "partial_ratio");
        Assert.ThrowsExactly<ArgumentException>(() => new IsotropicModel(ModelRegistry.GetConfig("convnext_atto")));
        // The flag survives the JSON that checkpoints and ONNX metadata carry.
        var back = ModelConfig.FromJson(iso.ToJson());
        Assert.IsTrue(back.Isotropic);
        Assert.AreEqual(16, back.StemStride);
        Assert.AreEqual(0.0, back.LayerScaleInit);
        Assert.IsFalse(ModelConfig.FromJson(ModelRegistry.GetConfig("convnext_tiny").ToJson()).Isotropic);
        Assert.IsFalse(ModelRegistry.GetConfig("convnext_tiny").ToJson().Contains("isotropic", StringComparison.Ordinal), "other families' JSON is unchanged");
    }

    [TestMethod]
    [DataRow("convnext_isotropic_small")]
    [DataRow("inceptionnext_isotropic_small")]
    public void IsotropicShapesPreLogitsAndChannelsLast(string name)
    {
        set_num_threads(1);
        manual_seed(3);
        using var model = TorchModelRegistry.Create(Small(name, 7) with { LayerScaleInit = 0.5 });
        RandomiseNormStatistics(model, normWeights: true);
        using var x = randn(3, 3, 32, 32);
        model.eval();
        using (var noGrad = no_grad())
        {
            using var features = model.forward_features(x);
            CollectionAssert.AreEqual(new long[] { 3, 48, 8, 8 }, features.shape, "one stage at 1/patch resolution");
            using var preLogits = model.forward_head(features, preLogits: true);
            CollectionAssert.AreEqual(new long[] { 3, 48 }, preLogits.shape);
            Assert.AreEqual(48, model.PreLogitsSize);
        }
        model.UseChannelsLast = true;
        var last = EvalLogits(model, x);
        model.UseChannelsLast = false;
        var first = EvalLogits(model, x);
        Assert.HasCount(21, last);
        Assert.IsTrue(MaxAbsDiff(last, first) <= 1e-5, $"max abs diff {MaxAbsDiff(last, first):E2}");
        Assert.IsTrue(last.Max(Math.Abs) > 1e-3, "logits are not trivially zero");
        using var tiny = zeros(1, 3, 2, 2);
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => model.call(tiny)).Message, "at least 4x4");

        model.ResetClassifier(3);
        Assert.AreEqual(3, model.Config.NumClasses);
        CollectionAssert.AreEqual(new long[] { 3, 48 }, StateShapes(model)["head.weight"]);
        Assert.HasCount(9, EvalLogits(model, x));
    }

    [TestMethod]
    [DataRow("convnext_isotropic_small")]
    [DataRow("inceptionnext_isotropic_small")]
    public void IsotropicTrainingStepsLowerTheLoss(string name)
    {
        set_num_threads(2);
        manual_seed(13);
        using var model = TorchModelRegistry.Create(Small(name, 4) with { DropPathRate = 0.1 });
        model.train();
        using var optimizer = optim.AdamW(model.parameters(), 2e-3);
        using var x = randn(8, 3, 32, 32);
        using var y = tensor(new long[] { 0, 1, 2, 3, 0, 1, 2, 3 });
        var mixer = model.named_parameters().First(p => p.name.Contains(".dwconv.", StringComparison.Ordinal)).name;
        var before = Values(model, mixer);
        var losses = new List<double>();
        for (var step = 0; step < 12; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            var loss = nn.functional.cross_entropy(model.call(x), y);
            loss.backward();
            optimizer.step();
            losses.Add(loss.item<float>());
        }
        Assert.IsTrue(losses[^1] < 0.5 * losses[0], $"loss {losses[0]:F3} -> {losses[^1]:F3}");
        Assert.IsTrue(MaxAbsDiff(before, Values(model, mixer)) > 1e-3, $"{mixer} was trained");
    }
}
