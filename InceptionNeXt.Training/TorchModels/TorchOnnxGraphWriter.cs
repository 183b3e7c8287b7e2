using InceptionNeXt.ML.OnnxFormat;
using InceptionNeXt.Training.Models;
using TorchSharp;
using TorchSharp.Modules;
using static InceptionNeXt.Training.TorchModels.TorchBatchNormFolding;
using static TorchSharp.torch;

namespace InceptionNeXt.Training.TorchModels;

/// <summary>
/// Writes the zoo's TorchSharp modules, in eval semantics, into an <see cref="OnnxGraph"/> by walking the module tree:
/// BatchNorm folded into the neighbouring convolution (after a conv, or before an unpadded dense one, and into the
/// MetaNeXt MLP's fc1), exact GELU in the erf form ONNX Runtime fuses, dropout and drop path left out, and
/// InceptionNeXt's token mixer in the chosen <see cref="MixerOnnxForm"/>.
/// </summary>
public sealed class TorchOnnxGraphWriter(OnnxGraph graph, MixerOnnxForm mixerForm)
{
    /// <summary>
    /// Adds the network; returns the pooled features (N, C), the head's pre-logits and the logits. iFormer needs the
    /// (square) input side <paramref name="imageSize"/>: its positional embeddings and attention shapes are fixed per size.
    /// </summary>
    public (string Features, string PreLogits, string Logits) Classifier(ImageClassifier model, string input, int? imageSize = null)
    {
        if (model is IFormerModel iformer)
            return IFormer(iformer, input, imageSize ?? throw new ArgumentException("iFormer export needs the input size", nameof(imageSize)));
        var map = Module(model.Stages, Module(model.Stem, input));
        var pooled = graph.AddNode("ReduceMean", [map], "pooled", OnnxAttribute.Ints("axes", 2, 3), OnnxAttribute.Int("keepdims", 0));
        switch (model)
        {
            case InceptionNeXtModel inx:
            {
                var head = inx.Head;
                var hidden = Gelu(Linear(head.Fc1, pooled));
                var preLogits = LayerNormLastDim(Floats(head.Norm.weight!), Floats(head.Norm.bias!), head.Norm.eps, hidden);
                return (pooled, preLogits, Module(head.Fc2, preLogits));
            }
            case ConvNeXtModel cnx:
            {
                // On the flattened (N, C) vector the channel LayerNorm is a plain last-dimension LayerNorm.
                var norm = cnx.Head.Norm;
                var preLogits = LayerNormLastDim(Floats(norm.Weight), Floats(norm.Bias), norm.Eps, pooled);
                return (pooled, preLogits, Module(cnx.Head.Fc, preLogits));
            }
            case IsotropicModel iso:
            {
                var preLogits = LayerNormLastDim(Floats(iso.Norm.weight!), Floats(iso.Norm.bias!), iso.Norm.eps, pooled);
                return (pooled, preLogits, Module(iso.Head, preLogits));
            }
            default:
                throw new NotSupportedException($"no ONNX export for {model.GetType().Name}");
        }
    }

    /// <summary>Adds one module; returns its output value.</summary>
    public string Module(nn.Module module, string x) => module switch
    {
        Sequential seq => SequentialChain(seq, x),
        Stage stage => Module(stage.Blocks, Module(stage.Downsample, x)),
        MetaNeXtBlock block => MetaNeXt(block, x),
        ConvNeXtBlock block => ConvNeXt(block, x),
        IsotropicBlock block => Isotropic(block, x),
        InceptionDWConv2d mixer => mixerForm == MixerOnnxForm.Split ? MixerSplit(mixer, x) : MixerFused(mixer, x),
        PartialConv2d partial => Partial(partial, x),
        ConvMlp mlp => Conv(mlp.Fc2, Gelu(Conv(mlp.Fc1, x))),
        Mlp mlp => Linear(mlp.Fc2, Gelu(Linear(mlp.Fc1, x))),
        Conv2d conv => Conv(conv, x),
        Linear linear => Linear(linear, x),
        BatchNorm2d bn => BatchNorm(bn, x),
        LayerNorm2d ln => Transpose(LayerNormLastDim(Floats(ln.Weight), Floats(ln.Bias), ln.Eps, Transpose(x, 0, 2, 3, 1)), 0, 3, 1, 2),
        LayerNorm ln => LayerNormLastDim(Floats(ln.weight!), Floats(ln.bias!), ln.eps, x),
        GELU => Gelu(x),
        Identity or Dropout or DropPath => x,
        _ => throw new NotSupportedException($"no ONNX export for {module.GetType().Name}"),
    };

    private string SequentialChain(Sequential seq, string x)
    {
        var layers = seq.children().ToList();
        for (var i = 0; i < layers.Count; i++)
        {
            if (layers[i] is Conv2d conv && i + 1 < layers.Count && layers[i + 1] is BatchNorm2d after)
            {
                var (w, b) = FoldAfter(conv, after);
                x = Conv(conv, x, w, b);
                i++;
            }
            else if (layers[i] is BatchNorm2d before && i + 1 < layers.Count && layers[i + 1] is Conv2d next && CanFoldBefore(next))
            {
                var (w, b) = FoldBefore(before, next);
                x = Conv(next, x, w, b);
                i++;
            }
            else x = Module(layers[i], x);
        }
        return x;
    }

    private string MetaNeXt(MetaNeXtBlock block, string input)
    {
        var mixed = Module(block.TokenMixer, input);
        // The eval BatchNorm folds exactly into fc1, a 1x1 convolution.
        var (w, b) = FoldBefore(block.Norm, block.Mlp.Fc1);
        var y = Conv(block.Mlp.Fc2, Gelu(Conv(block.Mlp.Fc1, mixed, w, b)));
        return Residual(block.Gamma, y, input);
    }

    private string ConvNeXt(ConvNeXtBlock block, string input)
    {
        var x = Module(block.ConvDw, input);
        var y = block.ConvMlpForm
            ? Module(block.Mlp, Module(block.Norm, x))
            : Transpose(Module(block.Mlp, Module(block.Norm, Transpose(x, 0, 2, 3, 1))), 0, 3, 1, 2);
        return Residual(block.Gamma, y, input);
    }

    private string Isotropic(IsotropicBlock block, string input)
    {
        var x = Transpose(Module(block.DwConv, input), 0, 2, 3, 1);
        var y = Linear(block.PwConv2, Gelu(Linear(block.PwConv1, Module(block.Norm, x))));
        if (block.Gamma is { } gamma)
        {
            var g = Floats(gamma);
            y = graph.AddNode("Mul", [y, graph.AddInitializer("gamma", g, g.Length)], "layer_scale");
        }
        return graph.AddNode("Add", [Transpose(y, 0, 3, 1, 2), input], "residual");
    }

    private string Residual(Tensor gamma, string y, string input)
    {
        var g = Floats(gamma);
        var scaled = graph.AddNode("Mul", [y, graph.AddInitializer("gamma", g, g.Length, 1, 1)], "layer_scale");
        return graph.AddNode("Add", [scaled, input], "residual");
    }

    private string Partial(PartialConv2d partial, string x)
    {
        var splits = partial.Splits.ToArray();
        if (splits[0] == 0) return Conv(partial.Conv, x);
        var parts = graph.AddNode("Split", [x, graph.AddInt64Initializer("split_sizes", splits)], ["identity", "partial"],
            OnnxAttribute.Int("axis", 1));
        return graph.AddNode("Concat", [parts[0], Conv(partial.Conv, parts[1])], "partial_conv", OnnxAttribute.Int("axis", 1));
    }

    private string MixerSplit(InceptionDWConv2d mixer, string x)
    {
        // A zero-width identity part (branch ratio 1/3) is left out of Split/Concat.
        var all = mixer.Splits.ToArray();
        var hasIdentity = all[0] > 0;
        long[] sizes = hasIdentity ? all : all[1..];
        var parts = graph.AddNode("Split", [x, graph.AddInt64Initializer("split_sizes", sizes)],
            sizes.Select((_, i) => $"mixer_part{i}").ToArray(), OnnxAttribute.Int("axis", 1));
        var offset = hasIdentity ? 1 : 0;
        var outputs = new List<string>();
        if (hasIdentity) outputs.Add(parts[0]);
        outputs.Add(Conv(mixer.SquareConv, parts[offset]));
        outputs.Add(Conv(mixer.WidthConv, parts[offset + 1]));
        outputs.Add(Conv(mixer.HeightConv, parts[offset + 2]));
        return graph.AddNode("Concat", outputs, "mixer", OnnxAttribute.Int("axis", 1));
    }

    /// <summary>
    /// Three depthwise convolutions over all channels, summed: each branch's kernel is zero outside its own channels
    /// and the identity channels get a centre tap of 1 in the first. Same outputs up to float rounding, but without
    /// Split and Concat ONNX Runtime keeps whole blocks in its NCHWc layout (BENCHMARKS.md: 1.08x-1.15x for atto).
    /// </summary>
    private string MixerFused(InceptionDWConv2d mixer, string x)
    {
        var splits = mixer.Splits;
        long channels = splits.Sum();
        var identity = (int)splits[0];
        var gc = (int)splits[1];
        (Conv2d Conv, int Offset)[] branches = [(mixer.SquareConv, identity), (mixer.WidthConv, identity + gc), (mixer.HeightConv, identity + (2 * gc))];
        var bias = new float[channels];
        foreach (var (conv, offset) in branches)
            if (conv.bias is not null) Floats(conv.bias).CopyTo(bias, offset);

        string? sum = null;
        foreach (var (conv, offset) in branches)
        {
            var (kh, kw) = (conv.kernel_size[0], conv.kernel_size[1]);
            var taps = (int)(kh * kw);
            var weight = new float[channels * taps];
            Floats(conv.weight!).CopyTo(weight, offset * taps);
            if (sum is null)
            {
                var centre = (int)((kh / 2 * kw) + (kw / 2));
                for (var c = 0; c < identity; c++) weight[(c * taps) + centre] = 1f;
            }
            var inputs = new List<string> { x, graph.AddInitializer("mixer_weight", weight, channels, 1, kh, kw) };
            if (sum is null) inputs.Add(graph.AddInitializer("mixer_bias", bias, channels));
            var (ph, pw) = Padding(conv);
            var y = graph.AddNode("Conv", inputs, "mixer_conv",
                OnnxAttribute.Ints("kernel_shape", kh, kw),
                OnnxAttribute.Ints("strides", 1, 1),
                OnnxAttribute.Ints("pads", ph, pw, ph, pw),
                OnnxAttribute.Ints("dilations", 1, 1),
                OnnxAttribute.Int("group", channels));
            sum = sum is null ? y : graph.AddNode("Add", [sum, y], "mixer");
        }
        return sum!;
    }

    /// <summary>
    /// iFormer, NHWC between blocks as in the official code: the stem's and embeddings' BatchNorms folded into their
    /// convolutions, positional embeddings as constants for this input size (resized in TorchSharp when the size differs
    /// from the stored grid), attention as MatMul / Softmax with the scale folded into the query projection, 2x2
    /// AveragePool and nearest Resize around it, MaxPool in the high-frequency branch, and the fusion conv's residual folded
    /// into its centre tap. Head: LayerNorm per token, ReduceMean over tokens, linear.
    /// </summary>
    private (string Features, string PreLogits, string Logits) IFormer(IFormerModel model, string input, int size)
    {
        long h = (size + 1) / 2, w = h;
        var stem = (IFormerFirstPatchEmbed)model.PatchEmbeds[0];
        var (w1, b1) = FoldAfter(stem.Proj1, stem.Norm1);
        var x = Gelu(Conv(stem.Proj1, input, w1, b1));
        h = (h + 1) / 2;
        w = h;
        var (w2, b2) = FoldAfter(stem.Proj2, stem.Norm2);
        x = Transpose(Conv(stem.Proj2, x, w2, b2), 0, 2, 3, 1);
        for (var s = 0; s < 4; s++)
        {
            if (s > 0)
            {
                var embed = (IFormerPatchEmbed)model.PatchEmbeds[s];
                var (we, be) = FoldAfter(embed.Proj, embed.Norm);
                x = Transpose(Conv(embed.Proj, Transpose(x, 0, 3, 1, 2), we, be), 0, 2, 3, 1);
                h = (h + 1) / 2;
                w = h;
            }
            float[] pos;
            using (no_grad())
            using (var p = model.PositionalEmbedding(s, h, w)) pos = Floats(p);
            x = graph.AddNode("Add", [x, graph.AddInitializer("pos_embed", pos, 1, h, w, model.Config.Dims[s])], "pos");
            foreach (var block in model.Blocks[s].children().Cast<IFormerBlock>()) x = IFormerBlock(block, x, h, w);
        }
        var normed = Module(model.Norm, x);
        var pooled = graph.AddNode("ReduceMean", [normed], "pooled", OnnxAttribute.Ints("axes", 1, 2), OnnxAttribute.Int("keepdims", 0));
        return (pooled, pooled, Module(model.Head, pooled));
    }

    private string IFormerBlock(IFormerBlock block, string input, long h, long w)
    {
        var a = IFormerMixer(block.Attn, Module(block.Norm1, input), h, w);
        if (block.LayerScale1 is { } ls1) a = graph.AddNode("Mul", [a, graph.AddInitializer("layer_scale", Floats(ls1), ls1.shape[0])], "layer_scale");
        var x = graph.AddNode("Add", [input, a], "residual");
        var m = Module(block.Mlp, Module(block.Norm2, x));
        if (block.LayerScale2 is { } ls2) m = graph.AddNode("Mul", [m, graph.AddInitializer("layer_scale", Floats(ls2), ls2.shape[0])], "layer_scale");
        return graph.AddNode("Add", [x, m], "residual");
    }

    private string IFormerMixer(IFormerMixer mixer, string nhwc, long h, long w)
    {
        var x = Transpose(nhwc, 0, 3, 1, 2);
        var high = mixer.HighMixer;
        var parts = graph.AddNode("Split", [x, graph.AddInt64Initializer("split_sizes", high.Half, high.Half, mixer.LowDim)],
            ["high_conv", "high_pool", "low"], OnnxAttribute.Int("axis", 1));
        var cx = Gelu(Conv(high.Proj1, Conv(high.Conv1, parts[0])));
        var pooled = graph.AddNode("MaxPool", [parts[1]], "maxpool", OnnxAttribute.Ints("kernel_shape", 3, 3),
            OnnxAttribute.Ints("strides", 1, 1), OnnxAttribute.Ints("pads", 1, 1, 1, 1));
        var px = Gelu(Conv(high.Proj2, pooled));
        var lx = IFormerAttention(mixer.LowMixer, parts[2], h, w);
        var cat = graph.AddNode("Concat", [cx, px, lx], "mixer_cat", OnnxAttribute.Int("axis", 1));
        // cat + depthwise_conv(cat) == depthwise_conv'(cat) with 1 added to every centre tap.
        var fuse = mixer.ConvFuse;
        var weight = Floats(fuse.weight!);
        var (kh, kw) = (fuse.kernel_size[0], fuse.kernel_size[1]);
        var taps = (int)(kh * kw);
        var centre = (int)((kh / 2 * kw) + (kw / 2));
        for (var c = 0; c < fuse.out_channels; c++) weight[(c * taps) + centre] += 1f;
        var fused = Conv(fuse, cat, weight);
        return Transpose(Conv(mixer.Proj, fused), 0, 2, 3, 1);
    }

    private string IFormerAttention(IFormerLowMixer low, string x, long h, long w)
    {
        var (dim, heads, p) = ((long)low.Dim, (long)low.Heads, (long)low.PoolSize);
        var headDim = dim / heads;
        if (p > 1)
            x = graph.AddNode("AveragePool", [x], "avgpool", OnnxAttribute.Ints("kernel_shape", p, p), OnnxAttribute.Ints("strides", p, p));
        var (hp, wp) = (h / p, w / p);
        var n = hp * wp;
        var tokens = graph.AddNode("Reshape", [Transpose(x, 0, 2, 3, 1), graph.AddInt64Initializer("shape", 0, n, dim)], "tokens");
        var weight = Floats(low.Qkv.weight!);
        var bias = Floats(low.Qkv.bias!);
        string Project(int part, float scale, params long[] perm)
        {
            // Rows [part * dim, (part + 1) * dim) of the qkv weight, transposed for MatMul, times scale.
            var wt = new float[dim * dim];
            var bt = new float[dim];
            for (var o = 0; o < dim; o++)
            {
                var row = (part * dim) + o;
                for (var i = 0; i < dim; i++) wt[(i * dim) + o] = weight[(row * dim) + i] * scale;
                bt[o] = bias[row] * scale;
            }
            var y = graph.AddNode("MatMul", [tokens, graph.AddInitializer("qkv_weight_t", wt, dim, dim)], "qkv_matmul");
            y = graph.AddNode("Add", [y, graph.AddInitializer("qkv_bias", bt, dim)], "qkv");
            y = graph.AddNode("Reshape", [y, graph.AddInt64Initializer("shape", 0, n, heads, headDim)], "heads");
            return graph.AddNode("Transpose", [y], "heads_t", OnnxAttribute.Ints("perm", perm));
        }
        var q = Project(0, (float)low.Scale, 0, 2, 1, 3);
        var kT = Project(1, 1f, 0, 2, 3, 1);
        var v = Project(2, 1f, 0, 2, 1, 3);
        var attn = graph.AddNode("Softmax", [graph.AddNode("MatMul", [q, kT], "scores")], "attn", OnnxAttribute.Int("axis", -1));
        var o = graph.AddNode("Transpose", [graph.AddNode("MatMul", [attn, v], "attn_v")], "attn_t", OnnxAttribute.Ints("perm", 0, 1, 3, 2));
        var map = graph.AddNode("Reshape", [o, graph.AddInt64Initializer("shape", 0, dim, hp, wp)], "attn_map");
        if (p == 1) return map;
        return graph.AddNode("Resize", [map, "", graph.AddInitializer("scales", [1f, 1f, p, p], 4)], "uppool",
            OnnxAttribute.Text("mode", "nearest"), OnnxAttribute.Text("coordinate_transformation_mode", "asymmetric"),
            OnnxAttribute.Text("nearest_mode", "floor"));
    }

    private string Conv(Conv2d conv, string x, float[]? weight = null, float[]? bias = null)
    {
        weight ??= Floats(conv.weight!);
        bias ??= conv.bias is null ? null : Floats(conv.bias);
        var (kh, kw) = (conv.kernel_size[0], conv.kernel_size[1]);
        var inputs = new List<string> { x, graph.AddInitializer("conv_weight", weight, conv.out_channels, conv.in_channels / conv.groups, kh, kw) };
        if (bias is not null) inputs.Add(graph.AddInitializer("conv_bias", bias, conv.out_channels));
        var (ph, pw) = Padding(conv);
        return graph.AddNode("Conv", inputs, "conv",
            OnnxAttribute.Ints("kernel_shape", kh, kw),
            OnnxAttribute.Ints("strides", conv.stride[0], conv.stride[1]),
            OnnxAttribute.Ints("pads", ph, pw, ph, pw),
            OnnxAttribute.Ints("dilations", conv.dilation[0], conv.dilation[1]),
            OnnxAttribute.Int("group", conv.groups));
    }

    private static (long H, long W) Padding(Conv2d conv)
    {
        if (conv.padding_type is not null) throw new NotSupportedException("padding modes ('same', 'valid') are not exported");
        return conv.padding is { Length: 2 } p ? (p[0], p[1]) : (0, 0);
    }

    /// <summary>Exported as MatMul with the transposed weight plus Add (ONNX Runtime fuses both; any rank).</summary>
    private string Linear(Linear linear, string x)
    {
        var (outF, inF) = (linear.out_features, linear.in_features);
        var weight = Floats(linear.weight!);
        var transposed = new float[weight.Length];
        for (var o = 0; o < outF; o++)
            for (var i = 0; i < inF; i++)
                transposed[(i * outF) + o] = weight[(o * inF) + i];
        var product = graph.AddNode("MatMul", [x, graph.AddInitializer("linear_weight_t", transposed, inF, outF)], "matmul");
        if (linear.bias is null) return product;
        return graph.AddNode("Add", [product, graph.AddInitializer("linear_bias", Floats(linear.bias), outF)], "linear");
    }

    private string BatchNorm(BatchNorm2d bn, string x)
    {
        var (scale, shift) = ScaleShift(bn);
        var scaled = graph.AddNode("Mul", [x, graph.AddInitializer("bn_scale", scale, scale.Length, 1, 1)], "bn_mul");
        return graph.AddNode("Add", [scaled, graph.AddInitializer("bn_shift", shift, shift.Length, 1, 1)], "bn");
    }

    private string LayerNormLastDim(float[] weight, float[] bias, double eps, string x) =>
        graph.AddNode("LayerNormalization",
            [x, graph.AddInitializer("ln_weight", weight, weight.Length), graph.AddInitializer("ln_bias", bias, bias.Length)],
            "layernorm", OnnxAttribute.Int("axis", -1), OnnxAttribute.Float("epsilon", (float)eps));

    private string Transpose(string x, params long[] perm) =>
        graph.AddNode("Transpose", [x], perm[1] == 2 ? "nhwc" : "nchw", OnnxAttribute.Ints("perm", perm));

    /// <summary>Exact GELU in the form ONNX Runtime's GeluFusion recognises: x * 0.5 * (1 + erf(x / sqrt(2))).</summary>
    private string Gelu(string x)
    {
        var scaled = graph.AddNode("Div", [x, graph.Scalar(1.4142135381698608f, "sqrt2")], "gelu_div");
        var erf = graph.AddNode("Erf", [scaled], "gelu_erf");
        var shifted = graph.AddNode("Add", [erf, graph.Scalar(1f, "one")], "gelu_add");
        var product = graph.AddNode("Mul", [x, shifted], "gelu_mul");
        return graph.AddNode("Mul", [product, graph.Scalar(0.5f, "half")], "gelu");
    }
}
