using System.Numerics.Tensors;

namespace InceptionNeXt.ML.Trainers;

/// <summary>The value of a smooth objective at a point, with the metrics reported to the caller.</summary>
/// <param name="Value">The objective that is minimised.</param>
/// <param name="MeanLoss">Mean data loss without regularisation.</param>
/// <param name="Accuracy">Fraction of samples classified correctly.</param>
internal readonly record struct ObjectiveValue(double Value, double MeanLoss, double Accuracy);

/// <summary>
/// Limited-memory BFGS (Nocedal and Wright, Numerical Optimization, algorithms 7.4 and 7.5) with a line search
/// satisfying the strong Wolfe conditions (algorithms 3.5 and 3.6, cubic interpolation). When the line search finds
/// sufficient decrease but not the curvature condition, the step is still taken; a pair (s, y) enters the history
/// only when s·y &gt; 0, which keeps the inverse-Hessian approximation positive definite.
/// </summary>
internal sealed class LbfgsMinimizer
{
    private const double C1 = 1e-4;
    private const double C2 = 0.9;
    private const int MaxLineSearchEvaluations = 25;

    private readonly int _historySize;
    private readonly int _maxIterations;
    private readonly double _tolerance;

    /// <summary>Evaluates the objective at <paramref name="x"/> and writes its gradient.</summary>
    public delegate ObjectiveValue Function(double[] x, double[] gradient);

    /// <summary>Called after every accepted iteration with its 1-based number, step length, point and value; false stops.</summary>
    public delegate bool IterationCallback(int iteration, double step, double[] x, ObjectiveValue value);

    public LbfgsMinimizer(int historySize, int maxIterations, double tolerance)
    {
        _historySize = historySize;
        _maxIterations = maxIterations;
        _tolerance = tolerance;
    }

    /// <summary>
    /// Minimises <paramref name="function"/> from <paramref name="x"/> (updated in place). Stops after the maximum
    /// number of iterations, when the gradient norm falls to the tolerance, when the objective's relative decrease
    /// averaged over the last five iterations falls below it, when no step decreases the objective any more, on
    /// cancellation, or when <paramref name="onIteration"/> returns false.
    /// </summary>
    public void Minimize(double[] x, Function function, IterationCallback onIteration, CancellationToken cancellationToken)
    {
        var n = x.Length;
        var g = new double[n];
        var value = function(x, g);
        if (!double.IsFinite(value.Value)) throw new InvalidOperationException("The objective is not finite at the starting point.");
        var s = new double[_historySize][];
        var y = new double[_historySize][];
        var rho = new double[_historySize];
        var alpha = new double[_historySize];
        int stored = 0, newest = -1;
        var direction = new double[n];
        var search = new LineSearch(function, n);
        // Objective values of recent iterations, for the averaged relative-decrease test.
        var recent = new Queue<double>();
        recent.Enqueue(value.Value);

        var iteration = 0;
        while (iteration < _maxIterations && !cancellationToken.IsCancellationRequested)
        {
            var gradientNorm = Math.Sqrt(TensorPrimitives.Dot<double>(g, g));
            if (gradientNorm <= _tolerance) return;

            // Two-loop recursion: direction = -H g.
            g.CopyTo(direction, 0);
            for (var k = 0; k < stored; k++)
            {
                var i = (newest - k + _historySize) % _historySize;
                alpha[i] = rho[i] * TensorPrimitives.Dot<double>(s[i], direction);
                TensorPrimitives.MultiplyAdd(y[i], -alpha[i], direction, direction);
            }
            if (stored > 0)
            {
                var gamma = TensorPrimitives.Dot<double>(s[newest], y[newest]) / TensorPrimitives.Dot<double>(y[newest], y[newest]);
                TensorPrimitives.Multiply(direction, gamma, direction);
            }
            for (var k = stored - 1; k >= 0; k--)
            {
                var i = (newest - k + _historySize) % _historySize;
                var beta = rho[i] * TensorPrimitives.Dot<double>(y[i], direction);
                TensorPrimitives.MultiplyAdd(s[i], alpha[i] - beta, direction, direction);
            }
            TensorPrimitives.Negate(direction, direction);
            var slope = TensorPrimitives.Dot<double>(direction, g);
            if (!(slope < 0))
            {
                // Rounding made the quasi-Newton direction useless: fall back to steepest descent.
                stored = 0;
                TensorPrimitives.Negate(g, direction);
                slope = -gradientNorm * gradientNorm;
            }

            // Without curvature information the first step moves a distance of 1.
            var initialStep = stored == 0 ? Math.Min(1.0, 1.0 / gradientNorm) : 1.0;
            if (!search.Run(x, value.Value, direction, slope, initialStep, out var step, out var newValue))
            {
                if (stored == 0) return; // No decrease even along -g: converged as far as rounding allows.
                stored = 0; // Retry the iteration along -g with the history dropped.
                continue;
            }

            // s = x_new - x, y = g_new - g, kept only with positive curvature.
            var slot = (newest + 1) % _historySize;
            s[slot] ??= new double[n];
            y[slot] ??= new double[n];
            TensorPrimitives.Subtract(search.X, x, s[slot]);
            TensorPrimitives.Subtract(search.Gradient, g, y[slot]);
            var sy = TensorPrimitives.Dot<double>(s[slot], y[slot]);
            if (sy > 1e-12 * TensorPrimitives.Dot<double>(y[slot], y[slot]))
            {
                rho[slot] = 1 / sy;
                newest = slot;
                stored = Math.Min(stored + 1, _historySize);
            }
            search.X.CopyTo(x, 0);
            search.Gradient.CopyTo(g, 0);
            value = newValue;
            iteration++;
            if (!onIteration(iteration, step, x, value)) return;

            recent.Enqueue(value.Value);
            if (recent.Count > 6) recent.Dequeue();
            var averageDecrease = (recent.Peek() - value.Value) / (recent.Count - 1);
            if (averageDecrease <= _tolerance * Math.Max(Math.Abs(value.Value), 1e-12)) return;
        }
    }

    /// <summary>Line search for the strong Wolfe conditions along one direction; owns the trial buffers.</summary>
    private sealed class LineSearch(Function function, int n)
    {
        private readonly double[] _trialX = new double[n];
        private readonly double[] _trialGradient = new double[n];
        private readonly double[] _lowX = new double[n];
        private readonly double[] _lowGradient = new double[n];

        /// <summary>The accepted point after a successful <see cref="Run"/>.</summary>
        public double[] X { get; private set; } = [];

        /// <summary>The gradient at <see cref="X"/>.</summary>
        public double[] Gradient { get; private set; } = [];

        private double[] _x = [];
        private double[] _direction = [];

        /// <summary>
        /// Searches from <paramref name="x"/> (value <paramref name="f0"/>, directional derivative
        /// <paramref name="slope0"/> &lt; 0). True with a step that satisfies the strong Wolfe conditions, or failing
        /// that the lowest point found with sufficient decrease; false when no step decreased the objective.
        /// </summary>
        public bool Run(double[] x, double f0, double[] direction, double slope0, double initialStep, out double step, out ObjectiveValue value)
        {
            _x = x;
            _direction = direction;
            // "low" is the best point with sufficient decrease so far; step 0 (the start) until one is found.
            double lowStep = 0, lowF = f0, lowSlope = slope0;
            var lowValue = default(ObjectiveValue);
            double previousStep = 0, previousF = f0, previousSlope = slope0;
            double highStep = 0, highF = 0, highSlope = 0;
            var bracketed = false;
            step = initialStep;
            value = default;
            for (var evaluation = 0; evaluation < MaxLineSearchEvaluations; evaluation++)
            {
                if (bracketed)
                {
                    if (Math.Abs(highStep - lowStep) <= 1e-12 * Math.Max(lowStep, highStep)) break;
                    step = Interpolate(lowStep, lowF, lowSlope, highStep, highF, highSlope);
                }
                var trial = Evaluate(step, out var slope);
                var f = trial.Value;
                var sufficient = double.IsFinite(f) && f <= f0 + C1 * step * slope0;
                if (!bracketed)
                {
                    if (!sufficient || (evaluation > 0 && f >= previousF))
                    {
                        (bracketed, highStep, highF, highSlope) = (true, step, f, slope);
                        continue;
                    }
                    Keep(step, f, slope, trial, ref lowStep, ref lowF, ref lowSlope, ref lowValue);
                    if (Math.Abs(slope) <= -C2 * slope0) return Accept(trial, out value);
                    if (slope >= 0)
                    {
                        (bracketed, highStep, highF, highSlope) = (true, previousStep, previousF, previousSlope);
                        continue;
                    }
                    (previousStep, previousF, previousSlope) = (step, f, slope);
                    step *= 2;
                    continue;
                }
                // Zoom: the bracket [low, high] holds a point satisfying both conditions.
                if (!sufficient || f >= lowF)
                {
                    (highStep, highF, highSlope) = (step, f, slope);
                    continue;
                }
                if (Math.Abs(slope) <= -C2 * slope0) return Accept(trial, out value);
                if (slope * (highStep - lowStep) >= 0) (highStep, highF, highSlope) = (lowStep, lowF, lowSlope);
                Keep(step, f, slope, trial, ref lowStep, ref lowF, ref lowSlope, ref lowValue);
            }
            if (lowStep == 0) return false;
            // Sufficient decrease without the curvature condition: take the best such point.
            X = _lowX;
            Gradient = _lowGradient;
            step = lowStep;
            value = lowValue;
            return true;
        }

        private ObjectiveValue Evaluate(double step, out double slope)
        {
            TensorPrimitives.MultiplyAdd(_direction, step, _x, _trialX);
            var value = function(_trialX, _trialGradient);
            slope = TensorPrimitives.Dot<double>(_trialGradient, _direction);
            return value;
        }

        private void Keep(double step, double f, double slope, ObjectiveValue trial, ref double lowStep, ref double lowF, ref double lowSlope, ref ObjectiveValue lowValue)
        {
            (lowStep, lowF, lowSlope, lowValue) = (step, f, slope, trial);
            _trialX.CopyTo(_lowX, 0);
            _trialGradient.CopyTo(_lowGradient, 0);
        }

        private bool Accept(ObjectiveValue trial, out ObjectiveValue value)
        {
            X = _trialX;
            Gradient = _trialGradient;
            value = trial;
            return true;
        }

        // Minimiser of the cubic through both ends (values and slopes), kept at least 10% of the bracket away from
        // its ends; bisection when the cubic has no usable minimum or a value is not finite.
        private static double Interpolate(double a, double fa, double ga, double b, double fb, double gb)
        {
            double lo = Math.Min(a, b), hi = Math.Max(a, b), margin = 0.1 * (hi - lo);
            var middle = 0.5 * (a + b);
            if (!double.IsFinite(fb) || !double.IsFinite(gb)) return middle;
            var d1 = ga + gb - 3 * (fa - fb) / (a - b);
            var discriminant = d1 * d1 - ga * gb;
            if (!(discriminant >= 0)) return middle;
            var d2 = Math.Sign(b - a) * Math.Sqrt(discriminant);
            var t = b - (b - a) * (gb + d2 - d1) / (gb - ga + 2 * d2);
            return double.IsFinite(t) ? Math.Clamp(t, lo + margin, hi - margin) : middle;
        }
    }
}
