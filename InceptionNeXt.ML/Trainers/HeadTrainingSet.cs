namespace InceptionNeXt.ML.Trainers;

/// <summary>
/// Feature vectors with integer class labels 0..<see cref="NumClasses"/>-1, the input of an <see cref="IHeadTrainer"/>.
/// Immutable: the features are copied into one contiguous row-major block when the set is created.
/// </summary>
public sealed class HeadTrainingSet
{
    private readonly float[] _features;
    private readonly int[] _labels;

    /// <summary>Creates a set; every vector must have the same length and finite values, every label lie in [0, numClasses).</summary>
    /// <exception cref="ArgumentException">The set is empty, the lengths disagree, a label is out of range or a value is not finite.</exception>
    public HeadTrainingSet(IReadOnlyList<float[]> features, IReadOnlyList<int> labels, int numClasses)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (numClasses < 2) throw new ArgumentOutOfRangeException(nameof(numClasses), $"A classifier needs at least 2 classes, got {numClasses}.");
        if (features.Count == 0) throw new ArgumentException("The training set is empty: no feature vectors.", nameof(features));
        if (labels.Count != features.Count)
            throw new ArgumentException($"There are {features.Count} feature vectors but {labels.Count} labels.", nameof(labels));
        var size = features[0]?.Length ?? throw new ArgumentException("Feature vector 0 is null.", nameof(features));
        if (size == 0) throw new ArgumentException("Feature vector 0 is empty.", nameof(features));
        var data = new float[checked(features.Count * size)];
        var copy = new int[labels.Count];
        for (var i = 0; i < features.Count; i++)
        {
            var row = features[i] ?? throw new ArgumentException($"Feature vector {i} is null.", nameof(features));
            if (row.Length != size)
                throw new ArgumentException($"Feature vector {i} has {row.Length} values but vector 0 has {size}.", nameof(features));
            for (var j = 0; j < size; j++)
                if (!float.IsFinite(row[j]))
                    throw new ArgumentException($"Feature vector {i} has a non-finite value ({row[j]}) at index {j}.", nameof(features));
            if ((uint)labels[i] >= (uint)numClasses)
                throw new ArgumentException($"Label {labels[i]} of sample {i} is outside [0, {numClasses}).", nameof(labels));
            row.CopyTo(data, i * size);
            copy[i] = labels[i];
        }
        _features = data;
        _labels = copy;
        FeatureSize = size;
        NumClasses = numClasses;
    }

    // Takes already validated arrays (subsets of a validated set).
    private HeadTrainingSet(float[] features, int[] labels, int featureSize, int numClasses)
    {
        _features = features;
        _labels = labels;
        FeatureSize = featureSize;
        NumClasses = numClasses;
    }

    /// <summary>Number of samples.</summary>
    public int Count => _labels.Length;

    /// <summary>Length of every feature vector.</summary>
    public int FeatureSize { get; }

    /// <summary>Number of classes (labels lie in [0, NumClasses)).</summary>
    public int NumClasses { get; }

    /// <summary>Feature vector of sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> GetFeatures(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        return _features.AsSpan(index * FeatureSize, FeatureSize);
    }

    /// <summary>Label of sample <paramref name="index"/>.</summary>
    public int GetLabel(int index) => _labels[index];

    /// <summary>Row-major [Count, FeatureSize] features, shared with the trainers, which never write them.</summary>
    internal float[] FeatureArray => _features;

    /// <summary>Labels, shared with the trainers, which never write them.</summary>
    internal int[] LabelArray => _labels;

    /// <summary>
    /// Splits off about <paramref name="fraction"/> of every class as a validation set, chosen at random with
    /// <paramref name="seed"/>; every class keeps at least one sample in the training part. Both parts keep the
    /// original sample order.
    /// </summary>
    /// <exception cref="ArgumentException">The fraction is not in (0, 1) or the set is too small to split.</exception>
    public (HeadTrainingSet Train, HeadTrainingSet Validation) Split(double fraction, int seed)
    {
        if (!(fraction > 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), $"The validation fraction must lie in (0, 1), got {fraction}.");
        return TrySplit(fraction, seed)
            ?? throw new ArgumentException($"{Count} samples are too few to split off a validation set while keeping every class in training.");
    }

    /// <summary>As <see cref="Split"/>, but null when no sample can be spared for validation.</summary>
    internal (HeadTrainingSet Train, HeadTrainingSet Validation)? TrySplit(double fraction, int seed)
    {
        var byClass = new List<int>[NumClasses];
        for (var c = 0; c < NumClasses; c++) byClass[c] = [];
        for (var i = 0; i < Count; i++) byClass[_labels[i]].Add(i);
        var random = new Random(seed);
        var toValidation = new bool[Count];
        var taken = 0;
        foreach (var members in byClass)
        {
            // At least one sample of a class stays in training, so the head still sees every class it had.
            var n = Math.Min((int)Math.Round(fraction * members.Count, MidpointRounding.AwayFromZero), members.Count - 1);
            if (n <= 0) continue;
            var shuffled = members.ToArray();
            random.Shuffle(shuffled);
            for (var k = 0; k < n; k++) toValidation[shuffled[k]] = true;
            taken += n;
        }
        if (taken == 0) return null;
        return (Subset(toValidation, false, Count - taken), Subset(toValidation, true, taken));
    }

    private HeadTrainingSet Subset(bool[] mask, bool keep, int count)
    {
        var features = new float[count * FeatureSize];
        var labels = new int[count];
        var j = 0;
        for (var i = 0; i < Count; i++)
        {
            if (mask[i] != keep) continue;
            _features.AsSpan(i * FeatureSize, FeatureSize).CopyTo(features.AsSpan(j * FeatureSize));
            labels[j++] = _labels[i];
        }
        return new HeadTrainingSet(features, labels, FeatureSize, NumClasses);
    }
}
