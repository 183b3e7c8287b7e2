using InceptionNeXt.ML.OnnxFormat;
using InceptionNeXt.Training.Export;
using InceptionNeXt.Training.LibTorch;

namespace InceptionNeXt.Training.Modules;

/// <summary>2-d convolution with PyTorch's parameter names (<c>weight</c>, <c>bias</c>) and default initialisation.</summary>
public sealed class Conv2d : Module
{
    /// <summary>Creates the layer.</summary>
    public Conv2d(long inChannels, long outChannels, (long H, long W) kernel, (long H, long W)? stride = null,
        (long H, long W)? padding = null, long groups = 1, bool bias = true)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Channels ({inChannels} -> {outChannels}) must be divisible by groups ({groups}).");
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride ?? (1, 1);
        Padding = padding ?? (0, 0);
        Groups = groups;
        var fanIn = inChannels / groups * kernel.H * kernel.W;
        var bound = 1.0 / Math.Sqrt(fanIn);
        using (var w = Torch.Empty([outChannels, inChannels / groups, kernel.H, kernel.W]))
            Weight = RegisterParameter("weight", new Parameter(Init.Uniform(w, -bound, bound)))!;
        if (bias)
        {
            using var b = Torch.Empty([outChannels]);
            Bias = RegisterParameter("bias", new Parameter(Init.Uniform(b, -bound, bound)));
        }
        else RegisterParameter("bias", null);
    }

    /// <summary>Square-kernel convenience constructor.</summary>
    public Conv2d(long inChannels, long outChannels, long kernel, long stride = 1, long padding = 0, long groups = 1, bool bias = true)
        : this(inChannels, outChannels, (kernel, kernel), (stride, stride), (padding, padding), groups, bias) { }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }
    /// <summary>Output channels.</summary>
    public long OutChannels { get; }
    /// <summary>Kernel size (height, width).</summary>
    public (long H, long W) Kernel { get; }
    /// <summary>Stride (height, width).</summary>
    public (long H, long W) Stride { get; }
    /// <summary>Zero padding (height, width).</summary>
    public (long H, long W) Padding { get; }
    /// <summary>Channel groups (== channels for depthwise).</summary>
    public long Groups { get; }
    /// <summary>Kernel, shape (out, in / groups, kh, kw).</summary>
    public Parameter Weight { get; }
    /// <summary>Bias, or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Conv2d(input, Weight, Bias, Stride, Padding, (1, 1), Groups);

    /// <inheritdoc/>
    public override string ExportOnnx(OnnxGraph graph, string input) =>
        ExportOnnx(graph, input, Weight.ToFloatArray(), Bias?.ToFloatArray());

    /// <summary>Exports the convolution with replacement weights (e.g. with a BatchNorm folded in).</summary>
    public string ExportOnnx(OnnxGraph graph, string input, float[] weight, float[]? bias)
    {
        var inputs = new List<string> { input, graph.AddInitializer("conv_weight", weight, OutChannels, InChannels / Groups, Kernel.H, Kernel.W) };
        if (bias is not null) inputs.Add(graph.AddInitializer("conv_bias", bias, OutChannels));
        return graph.AddNode("Conv", inputs, "conv",
            OnnxAttribute.Ints("kernel_shape", Kernel.H, Kernel.W),
            OnnxAttribute.Ints("strides", Stride.H, Stride.W),
            OnnxAttribute.Ints("pads", Padding.H, Padding.W, Padding.H, Padding.W),
            OnnxAttribute.Ints("dilations", 1, 1),
            OnnxAttribute.Int("group", Groups));
    }
}

/// <summary>y = x W^T + b over the last dimension.</summary>
public sealed class Linear : Module
{
    /// <summary>Creates the layer.</summary>
    public Linear(long inFeatures, long outFeatures, bool bias = true)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        var bound = 1.0 / Math.Sqrt(inFeatures);
        using (var w = Torch.Empty([outFeatures, inFeatures]))
            Weight = RegisterParameter("weight", new Parameter(Init.Uniform(w, -bound, bound)))!;
        if (bias)
        {
            using var b = Torch.Empty([outFeatures]);
            Bias = RegisterParameter("bias", new Parameter(Init.Uniform(b, -bound, bound)));
        }
        else RegisterParameter("bias", null);
    }

    /// <summary>Input features.</summary>
    public long InFeatures { get; }
    /// <summary>Output features.</summary>
    public long OutFeatures { get; }
    /// <summary>Weight, shape (out, in).</summary>
    public Parameter Weight { get; }
    /// <summary>Bias, or null.</summary>
    public Parameter? Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Linear(input, Weight, Bias);

    /// <summary>Exported as MatMul with the transposed weight plus Add (ONNX Runtime fuses both; works for any rank).</summary>
    public override string ExportOnnx(OnnxGraph graph, string input)
    {
        var weight = Weight.ToFloatArray();
        var transposed = new float[weight.Length];
        for (var o = 0; o < OutFeatures; o++)
            for (var i = 0; i < InFeatures; i++)
                transposed[i * OutFeatures + o] = weight[o * InFeatures + i];
        var product = graph.AddNode("MatMul", [input, graph.AddInitializer("linear_weight_t", transposed, InFeatures, OutFeatures)], "matmul");
        if (Bias is null) return product;
        return graph.AddNode("Add", [product, graph.AddInitializer("linear_bias", Bias.ToFloatArray(), OutFeatures)], "linear");
    }
}

/// <summary>Batch normalisation over channels of NCHW input, with running statistics.</summary>
public sealed class BatchNorm2d : Module
{
    /// <summary>Creates the layer (weight 1, bias 0, running mean 0, running var 1).</summary>
    public BatchNorm2d(long features, double eps = 1e-5, double momentum = 0.1)
    {
        Features = features;
        Eps = eps;
        Momentum = momentum;
        using (var w = Torch.Ones([features])) Weight = RegisterParameter("weight", new Parameter(w))!;
        using (var b = Torch.Zeros([features])) Bias = RegisterParameter("bias", new Parameter(b))!;
        RunningMean = RegisterBuffer("running_mean", Torch.Zeros([features]));
        RunningVar = RegisterBuffer("running_var", Torch.Ones([features]));
        NumBatchesTracked = RegisterBuffer("num_batches_tracked", Torch.Zeros([], ScalarType.Int64));
    }

    /// <summary>Channels.</summary>
    public long Features { get; }
    /// <summary>Variance epsilon.</summary>
    public double Eps { get; }
    /// <summary>Running-statistics momentum.</summary>
    public double Momentum { get; }
    /// <summary>Scale.</summary>
    public Parameter Weight { get; }
    /// <summary>Shift.</summary>
    public Parameter Bias { get; }
    /// <summary>Running mean.</summary>
    public Tensor RunningMean { get; }
    /// <summary>Running variance.</summary>
    public Tensor RunningVar { get; }
    /// <summary>Number of training batches seen (saved for checkpoint compatibility).</summary>
    public Tensor NumBatchesTracked { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (input.Dim != 4)
            throw new ArgumentException($"BatchNorm2d expects NCHW input, got {input}.", nameof(input));
        if (IsTraining) NumBatchesTracked.AddInPlace(1);
        return Functional.BatchNorm(input, RunningMean, RunningVar, Weight, Bias, IsTraining, Momentum, Eps);
    }

    /// <summary>Exported (when no neighbouring conv absorbs it) as a per-channel Mul and Add.</summary>
    public override string ExportOnnx(OnnxGraph graph, string input)
    {
        var (scale, shift) = BatchNormFolding.ScaleShift(this);
        var scaled = graph.AddNode("Mul", [input, graph.AddInitializer("bn_scale", scale, Features, 1, 1)], "bn_mul");
        return graph.AddNode("Add", [scaled, graph.AddInitializer("bn_shift", shift, Features, 1, 1)], "bn");
    }
}

/// <summary>Layer normalisation over the last dimension (channels-last input).</summary>
public class LayerNorm : Module
{
    /// <summary>Creates the layer (weight 1, bias 0).</summary>
    public LayerNorm(long features, double eps = 1e-5)
    {
        Features = features;
        Eps = eps;
        using (var w = Torch.Ones([features])) Weight = RegisterParameter("weight", new Parameter(w))!;
        using (var b = Torch.Zeros([features])) Bias = RegisterParameter("bias", new Parameter(b))!;
    }

    /// <summary>Normalised size.</summary>
    public long Features { get; }
    /// <summary>Variance epsilon.</summary>
    public double Eps { get; }
    /// <summary>Scale.</summary>
    public Parameter Weight { get; }
    /// <summary>Shift.</summary>
    public Parameter Bias { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.LayerNorm(input, [Features], Weight, Bias, Eps);

    /// <inheritdoc/>
    public override string ExportOnnx(OnnxGraph graph, string input) => ExportLastDim(graph, input);

    /// <summary>Exports a LayerNormalization over the last dimension.</summary>
    public string ExportLastDim(OnnxGraph graph, string input) =>
        graph.AddNode("LayerNormalization",
            [input, graph.AddInitializer("ln_weight", Weight.ToFloatArray(), Features), graph.AddInitializer("ln_bias", Bias.ToFloatArray(), Features)],
            "layernorm", OnnxAttribute.Int("axis", -1), OnnxAttribute.Float("epsilon", (float)Eps));
}

/// <summary>Layer normalisation over channels of NCHW input (timm's LayerNorm2d: permute, normalise, permute back).</summary>
public sealed class LayerNorm2d : LayerNorm
{
    /// <summary>Creates the layer.</summary>
    public LayerNorm2d(long features, double eps = 1e-6) : base(features, eps) { }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        using var nhwc = input.Permute(0, 2, 3, 1);
        using var normed = base.Forward(nhwc);
        return normed.Permute(0, 3, 1, 2);
    }

    /// <inheritdoc/>
    public override string ExportOnnx(OnnxGraph graph, string input)
    {
        var nhwc = graph.AddNode("Transpose", [input], "nhwc", OnnxAttribute.Ints("perm", 0, 2, 3, 1));
        return graph.AddNode("Transpose", [ExportLastDim(graph, nhwc)], "nchw", OnnxAttribute.Ints("perm", 0, 3, 1, 2));
    }
}

/// <summary>GELU activation (exact erf form).</summary>
public sealed class GELU : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => Functional.Gelu(input);

    /// <inheritdoc/>
    public override string ExportOnnx(OnnxGraph graph, string input) => Export(graph, input);

    /// <summary>
    /// Exact GELU in the form ONNX Runtime's GeluFusion recognises: x * 0.5 * (1 + erf(x / sqrt(2))).
    /// </summary>
    public static string Export(OnnxGraph graph, string input)
    {
        var scaled = graph.AddNode("Div", [input, graph.Scalar(1.4142135381698608f, "sqrt2")], "gelu_div");
        var erf = graph.AddNode("Erf", [scaled], "gelu_erf");
        var shifted = graph.AddNode("Add", [erf, graph.Scalar(1f, "one")], "gelu_add");
        var product = graph.AddNode("Mul", [input, shifted], "gelu_mul");
        return graph.AddNode("Mul", [product, graph.Scalar(0.5f, "half")], "gelu");
    }
}

/// <summary>Returns its input (a new reference to the same tensor).</summary>
public sealed class Identity : Module
{
    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) => input.Alias();

    /// <inheritdoc/>
    public override string ExportOnnx(OnnxGraph graph, string input) => input;
}

/// <summary>Element dropout in training mode.</summary>
public sealed class Dropout : Module
{
    /// <summary>Creates the layer with drop probability <paramref name="p"/>.</summary>
    public Dropout(double p)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1).");
        P = p;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input) =>
        IsTraining && P > 0 ? Functional.Dropout(input, P, true) : input.Alias();

    /// <summary>Identity at inference.</summary>
    public override string ExportOnnx(OnnxGraph graph, string input) => input;
}

/// <summary>Stochastic depth: drops whole samples of a residual branch in training (timm's DropPath, scaled by keep).</summary>
public sealed class DropPath : Module
{
    /// <summary>Creates the layer with drop probability <paramref name="p"/>.</summary>
    public DropPath(double p)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "Drop-path probability must be in [0, 1).");
        P = p;
    }

    /// <summary>Drop probability.</summary>
    public double P { get; }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        if (!IsTraining || P == 0) return input.Alias();
        var keep = 1 - P;
        var shape = new long[input.Dim];
        Array.Fill(shape, 1L);
        shape[0] = input.Size(0);
        using var mask = Functional.Bernoulli(input, shape, keep);
        using var scaled = mask.Div(keep);
        return input.Mul(scaled);
    }

    /// <summary>Identity at inference.</summary>
    public override string ExportOnnx(OnnxGraph graph, string input) => input;
}

/// <summary>Children applied in order; named "0", "1", ... as in torch.nn.Sequential.</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> layers = [];

    /// <summary>Creates the container.</summary>
    public Sequential(params Module[] modules)
    {
        foreach (var m in modules) Append(m);
    }

    /// <summary>Number of layers.</summary>
    public int Count => layers.Count;

    /// <summary>The layer at <paramref name="index"/>.</summary>
    public Module this[int index] => layers[index];

    /// <summary>Adds a layer at the end.</summary>
    public Sequential Append(Module module)
    {
        RegisterModule(layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
        layers.Add(module);
        return this;
    }

    /// <inheritdoc/>
    public override Tensor Forward(Tensor input)
    {
        var x = input.Alias();
        foreach (var layer in layers)
        {
            var next = layer.Forward(x);
            x.Dispose();
            x = next;
        }
        return x;
    }

    /// <summary>Exports the chain, folding each BatchNorm into the adjacent convolution (after a conv, or before an unpadded one).</summary>
    public override string ExportOnnx(OnnxGraph graph, string input)
    {
        var x = input;
        for (var i = 0; i < layers.Count; i++)
        {
            if (layers[i] is Conv2d conv && i + 1 < layers.Count && layers[i + 1] is BatchNorm2d after)
            {
                var (w, b) = BatchNormFolding.FoldAfter(conv, after);
                x = conv.ExportOnnx(graph, x, w, b);
                i++;
            }
            else if (layers[i] is BatchNorm2d before && i + 1 < layers.Count && layers[i + 1] is Conv2d { Padding: (0, 0), Groups: 1 } next)
            {
                var (w, b) = BatchNormFolding.FoldBefore(before, next);
                x = next.ExportOnnx(graph, x, w, b);
                i++;
            }
            else x = layers[i].ExportOnnx(graph, x);
        }
        return x;
    }
}
