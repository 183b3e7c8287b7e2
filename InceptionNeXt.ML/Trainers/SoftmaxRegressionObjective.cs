using System.Numerics.Tensors;

namespace InceptionNeXt.ML.Trainers;

/// <summary>
/// The multinomial logistic-regression objective over standardised features: mean softmax cross-entropy plus
/// 0.5 * l2 * ||W||^2 (weights only, not biases), and its gradient. Parameters are laid out as W row-major
/// [classes, features] followed by the class biases. Samples are split into a number of chunks that depends only on
/// the problem's size; chunks run in parallel into their own gradient buffers, which are summed in chunk order, so
/// the result does not depend on thread timing or core count.
/// </summary>
internal sealed class SoftmaxRegressionObjective
{
    private const int MinRowsPerChunk = 64;
    private const int MaxChunks = 32;
    private const int GradientBufferBudget = 1 << 24; // floats held by all chunk buffers together
    private const int ReduceBlock = 4096;

    private readonly float[] _features;
    private readonly int[] _labels;
    private readonly int _count;
    private readonly int _featureSize;
    private readonly int _classes;
    private readonly double _l2;
    private readonly int _chunks;
    private readonly float[] _weights;
    private readonly float[] _bias;
    private readonly double[] _chunkLoss;
    private readonly int[] _chunkCorrect;
    private float[][]? _chunkGradients;

    /// <summary>Wraps standardised row-major features (not copied) and their labels.</summary>
    public SoftmaxRegressionObjective(float[] features, int[] labels, int featureSize, int classes, double l2)
    {
        _features = features;
        _labels = labels;
        _count = labels.Length;
        _featureSize = featureSize;
        _classes = classes;
        _l2 = l2;
        var byMemory = Math.Max(1, GradientBufferBudget / ParameterCount);
        _chunks = Math.Clamp((_count + MinRowsPerChunk - 1) / MinRowsPerChunk, 1, Math.Min(MaxChunks, byMemory));
        _weights = new float[classes * featureSize];
        _bias = new float[classes];
        _chunkLoss = new double[_chunks];
        _chunkCorrect = new int[_chunks];
    }

    /// <summary>Weights plus biases.</summary>
    public int ParameterCount => _classes * _featureSize + _classes;

    /// <summary>
    /// The objective at <paramref name="parameters"/>; writes its gradient when <paramref name="gradient"/> is given.
    /// <see cref="ObjectiveValue.MeanLoss"/> and <see cref="ObjectiveValue.Accuracy"/> are the plain cross-entropy and accuracy.
    /// </summary>
    public ObjectiveValue Evaluate(double[] parameters, double[]? gradient)
    {
        var weightCount = _classes * _featureSize;
        for (var i = 0; i < weightCount; i++) _weights[i] = (float)parameters[i];
        for (var k = 0; k < _classes; k++) _bias[k] = (float)parameters[weightCount + k];
        if (gradient is not null) _chunkGradients ??= CreateBuffers();
        Parallel.For(0, _chunks, chunk => RunChunk(chunk, gradient is null ? null : _chunkGradients![chunk]));

        double loss = 0;
        long correct = 0;
        for (var c = 0; c < _chunks; c++)
        {
            loss += _chunkLoss[c];
            correct += _chunkCorrect[c];
        }
        var meanLoss = loss / _count;
        var penalty = 0.5 * _l2 * TensorPrimitives.Dot<double>(parameters.AsSpan(0, weightCount), parameters.AsSpan(0, weightCount));
        if (gradient is not null) Reduce(parameters, gradient);
        return new ObjectiveValue(meanLoss + penalty, meanLoss, (double)correct / _count);
    }

    private float[][] CreateBuffers()
    {
        var buffers = new float[_chunks][];
        for (var c = 0; c < _chunks; c++) buffers[c] = new float[ParameterCount];
        return buffers;
    }

    private void RunChunk(int chunk, float[]? gradient)
    {
        int start = (int)((long)chunk * _count / _chunks), end = (int)((long)(chunk + 1) * _count / _chunks);
        int d = _featureSize, weightCount = _classes * d;
        Span<float> logits = _classes <= 1024 ? stackalloc float[_classes] : new float[_classes];
        if (gradient is not null) Array.Clear(gradient);
        double loss = 0;
        var correct = 0;
        for (var i = start; i < end; i++)
        {
            var x = _features.AsSpan(i * d, d);
            for (var k = 0; k < _classes; k++)
                logits[k] = TensorPrimitives.Dot(_weights.AsSpan(k * d, d), x) + _bias[k];
            bool right;
            if (gradient is null)
            {
                loss += SoftmaxCrossEntropy.Loss(logits, _labels[i], out right);
            }
            else
            {
                loss += SoftmaxCrossEntropy.LossAndGradient(logits, _labels[i], 0, out right);
                // d loss / d W_k = (p_k - y_k) x, d loss / d b_k = p_k - y_k.
                for (var k = 0; k < _classes; k++)
                {
                    var row = gradient.AsSpan(k * d, d);
                    TensorPrimitives.MultiplyAdd(x, logits[k], row, row);
                    gradient[weightCount + k] += logits[k];
                }
            }
            if (right) correct++;
        }
        _chunkLoss[chunk] = loss;
        _chunkCorrect[chunk] = correct;
    }

    // gradient = sum over chunks (in chunk order) / count + l2 * W; parallel over blocks of parameters.
    private void Reduce(double[] parameters, double[] gradient)
    {
        var buffers = _chunkGradients!;
        var weightCount = _classes * _featureSize;
        var blocks = (ParameterCount + ReduceBlock - 1) / ReduceBlock;
        var scale = 1.0 / _count;
        Parallel.For(0, blocks, block =>
        {
            int start = block * ReduceBlock, end = Math.Min(start + ReduceBlock, ParameterCount);
            var sum = gradient.AsSpan(start, end - start);
            sum.Clear();
            foreach (var buffer in buffers)
                for (var j = start; j < end; j++) sum[j - start] += buffer[j];
            for (var j = start; j < end; j++)
                gradient[j] = gradient[j] * scale + (j < weightCount ? _l2 * parameters[j] : 0);
        });
    }
}
