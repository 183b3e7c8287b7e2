using System.Numerics.Tensors;

namespace InceptionNeXt.ML.Trainers;

/// <summary>AdamW hyper-parameters of one <see cref="MlpHeadNetwork.TrainStep"/>.</summary>
internal readonly record struct AdamSettings(float LearningRate, float Beta1, float Beta2, float Epsilon, float WeightDecay, float LabelSmoothing);

/// <summary>
/// The parameters and AdamW state of a features -&gt; hidden (ReLU) -&gt; classes network over standardised features,
/// with a mini-batch step and a loss measurement. Work is split by batch row (forward and back-propagation to the
/// hidden layer) and then by output unit (weight gradients and the update of that unit's row); every sum runs in a
/// fixed order, so results do not depend on thread timing.
/// </summary>
internal sealed class MlpHeadNetwork
{
    private const int MeasureChunk = 64;

    private readonly int _inputs, _hidden, _classes;
    private readonly float[] _w1, _b1, _w2, _b2;
    private readonly float[] _mW1, _vW1, _mB1, _vB1, _mW2, _vW2, _mB2, _vB2;
    private readonly float[] _hiddenOut, _outputs, _hiddenGrad;
    private readonly double[] _rowLoss;
    private readonly bool[] _rowCorrect;
    private long _step;

    /// <summary>He-initialised weights (normal, std sqrt(2 / fan-in)), zero biases, for batches of up to <paramref name="maxBatch"/> rows.</summary>
    public MlpHeadNetwork(int inputs, int hidden, int classes, int maxBatch, Random random)
    {
        (_inputs, _hidden, _classes) = (inputs, hidden, classes);
        _w1 = HeNormal(hidden * inputs, inputs, random);
        _b1 = new float[hidden];
        _w2 = HeNormal(classes * hidden, hidden, random);
        _b2 = new float[classes];
        (_mW1, _vW1, _mB1, _vB1) = (new float[_w1.Length], new float[_w1.Length], new float[hidden], new float[hidden]);
        (_mW2, _vW2, _mB2, _vB2) = (new float[_w2.Length], new float[_w2.Length], new float[classes], new float[classes]);
        _hiddenOut = new float[maxBatch * hidden];
        _outputs = new float[maxBatch * classes];
        _hiddenGrad = new float[maxBatch * hidden];
        _rowLoss = new double[maxBatch];
        _rowCorrect = new bool[maxBatch];
    }

    /// <summary>The four parameter arrays (W1, b1, W2, b2), live.</summary>
    public float[][] Parameters => [_w1, _b1, _w2, _b2];

    /// <summary>
    /// One AdamW step on the mean (label-smoothed) cross-entropy of the rows <c>order[offset..offset+count)</c> of
    /// <paramref name="features"/>. Returns the summed loss and the number of rows classified correctly before the step.
    /// </summary>
    public (double LossSum, int Correct) TrainStep(float[] features, int[] labels, int[] order, int offset, int count, AdamSettings adam)
    {
        Parallel.For(0, count, row => ForwardBackwardRow(features, labels, order[offset + row], row, count, adam.LabelSmoothing));
        _step++;
        Parallel.For(0, _hidden + _classes, unit => UpdateUnit(features, order, offset, count, unit, adam));
        double loss = 0;
        var correct = 0;
        for (var row = 0; row < count; row++)
        {
            loss += _rowLoss[row];
            if (_rowCorrect[row]) correct++;
        }
        return (loss, correct);
    }

    /// <summary>Summed plain cross-entropy and number correct over all rows of <paramref name="features"/>.</summary>
    public (double LossSum, int Correct) Measure(float[] features, int[] labels)
    {
        var chunks = (labels.Length + MeasureChunk - 1) / MeasureChunk;
        var losses = new double[chunks];
        var corrects = new int[chunks];
        Parallel.For(0, chunks, chunk => MeasureChunkRows(features, labels, chunk, losses, corrects));
        double loss = 0;
        var correct = 0;
        for (var c = 0; c < chunks; c++)
        {
            loss += losses[c];
            correct += corrects[c];
        }
        return (loss, correct);
    }

    private void ForwardBackwardRow(float[] features, int[] labels, int sample, int row, int count, float smoothing)
    {
        var x = features.AsSpan(sample * _inputs, _inputs);
        var h = _hiddenOut.AsSpan(row * _hidden, _hidden);
        var z = _outputs.AsSpan(row * _classes, _classes);
        Forward(x, h, z);
        _rowLoss[row] = SoftmaxCrossEntropy.LossAndGradient(z, labels[sample], smoothing, out _rowCorrect[row]);
        // z now holds d loss / d logits of this row; the batch loss is the mean over rows.
        TensorPrimitives.Multiply(z, 1f / count, z);
        var dh = _hiddenGrad.AsSpan(row * _hidden, _hidden);
        dh.Clear();
        for (var k = 0; k < _classes; k++) TensorPrimitives.MultiplyAdd(_w2.AsSpan(k * _hidden, _hidden), z[k], dh, dh);
        // ReLU passes the gradient only where the unit was active.
        for (var j = 0; j < _hidden; j++)
            if (h[j] <= 0) dh[j] = 0;
    }

    private void Forward(ReadOnlySpan<float> x, Span<float> h, Span<float> z)
    {
        for (var j = 0; j < _hidden; j++) h[j] = Math.Max(0f, TensorPrimitives.Dot(_w1.AsSpan(j * _inputs, _inputs), x) + _b1[j]);
        for (var k = 0; k < _classes; k++) z[k] = TensorPrimitives.Dot(_w2.AsSpan(k * _hidden, _hidden), h) + _b2[k];
    }

    // Gradient of one output unit's weight row and bias, summed over the batch rows in order, then its AdamW update.
    private void UpdateUnit(float[] features, int[] order, int offset, int count, int unit, AdamSettings adam)
    {
        bool first = unit < _hidden;
        int index = first ? unit : unit - _hidden, width = first ? _inputs : _hidden;
        Span<float> grad = width <= 4096 ? stackalloc float[width] : new float[width];
        grad.Clear();
        float biasGrad = 0;
        for (var row = 0; row < count; row++)
        {
            var delta = first ? _hiddenGrad[row * _hidden + index] : _outputs[row * _classes + index];
            if (delta == 0) continue;
            var input = first ? features.AsSpan(order[offset + row] * _inputs, _inputs) : _hiddenOut.AsSpan(row * _hidden, _hidden);
            TensorPrimitives.MultiplyAdd(input, delta, grad, grad);
            biasGrad += delta;
        }
        var weights = first ? _w1 : _w2;
        var m = first ? _mW1 : _mW2;
        var v = first ? _vW1 : _vW2;
        Adam(weights.AsSpan(index * width, width), grad, m.AsSpan(index * width, width), v.AsSpan(index * width, width), adam, adam.WeightDecay);
        var bias = first ? _b1 : _b2;
        Adam(bias.AsSpan(index, 1), [biasGrad], (first ? _mB1 : _mB2).AsSpan(index, 1), (first ? _vB1 : _vB2).AsSpan(index, 1), adam, 0);
    }

    // torch.optim.AdamW: decoupled decay p *= 1 - lr * wd, then p -= lr / (1 - b1^t) * m / (sqrt(v / (1 - b2^t)) + eps).
    private void Adam(Span<float> p, ReadOnlySpan<float> g, Span<float> m, Span<float> v, AdamSettings adam, float weightDecay)
    {
        var correction1 = 1 - Math.Pow(adam.Beta1, _step);
        var sqrtCorrection2 = (float)Math.Sqrt(1 - Math.Pow(adam.Beta2, _step));
        var stepSize = (float)(adam.LearningRate / correction1);
        var decay = 1 - adam.LearningRate * weightDecay;
        for (var i = 0; i < p.Length; i++)
        {
            m[i] = adam.Beta1 * m[i] + (1 - adam.Beta1) * g[i];
            v[i] = adam.Beta2 * v[i] + (1 - adam.Beta2) * g[i] * g[i];
            p[i] = p[i] * decay - stepSize * m[i] / (MathF.Sqrt(v[i]) / sqrtCorrection2 + adam.Epsilon);
        }
    }

    private void MeasureChunkRows(float[] features, int[] labels, int chunk, double[] losses, int[] corrects)
    {
        Span<float> h = _hidden <= 4096 ? stackalloc float[_hidden] : new float[_hidden];
        Span<float> z = _classes <= 1024 ? stackalloc float[_classes] : new float[_classes];
        double loss = 0;
        var correct = 0;
        for (var i = chunk * MeasureChunk; i < Math.Min(labels.Length, (chunk + 1) * MeasureChunk); i++)
        {
            Forward(features.AsSpan(i * _inputs, _inputs), h, z);
            loss += SoftmaxCrossEntropy.Loss(z, labels[i], out var right);
            if (right) correct++;
        }
        losses[chunk] = loss;
        corrects[chunk] = correct;
    }

    private static float[] HeNormal(int length, int fanIn, Random random)
    {
        var std = Math.Sqrt(2.0 / fanIn);
        var values = new float[length];
        for (var i = 0; i < length; i++)
        {
            // Box-Muller; 1 - NextDouble() lies in (0, 1], so the logarithm is finite.
            var u1 = 1 - random.NextDouble();
            var u2 = random.NextDouble();
            values[i] = (float)(std * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return values;
    }
}
