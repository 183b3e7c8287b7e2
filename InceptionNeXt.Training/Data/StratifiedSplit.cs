namespace InceptionNeXt.Training.Data;

/// <summary>
/// Deterministic per-class split of one dataset into training and validation parts (for a single image folder
/// without a separate validation set).
/// </summary>
public static class StratifiedSplit
{
    /// <summary>
    /// For each class (in label order), its samples are shuffled with one <see cref="Random"/> seeded by
    /// <paramref name="seed"/> and the first <c>round(n * fraction)</c> go to validation; a class with at least two
    /// samples keeps at least one on each side when <paramref name="validationFraction"/> is in (0, 1). Both parts list
    /// their source indices in increasing order. Same dataset, fraction and seed: same split.
    /// </summary>
    /// <param name="dataset">The dataset to split.</param>
    /// <param name="validationFraction">Fraction of each class for validation, in [0, 1).</param>
    /// <param name="seed">Shuffle seed.</param>
    public static (SubsetDataset Train, SubsetDataset Val) Split(IImageDataset dataset, double validationFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (!(validationFraction >= 0 && validationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The validation fraction must be in [0, 1).");
        }

        var byClass = new List<int>[dataset.Classes.Count];
        for (int c = 0; c < byClass.Length; c++)
        {
            byClass[c] = [];
        }

        for (int i = 0; i < dataset.Count; i++)
        {
            byClass[dataset.GetLabel(i)].Add(i);
        }

        var rng = new Random(seed);
        var train = new List<int>();
        var val = new List<int>();
        foreach (List<int> members in byClass)
        {
            int[] shuffled = members.ToArray();
            rng.Shuffle(shuffled);
            int n = shuffled.Length;
            int nVal = (int)Math.Round(n * validationFraction, MidpointRounding.AwayFromZero);
            if (validationFraction > 0 && n >= 2)
            {
                nVal = Math.Clamp(nVal, 1, n - 1);
            }

            val.AddRange(shuffled.Take(nVal));
            train.AddRange(shuffled.Skip(nVal));
        }

        train.Sort();
        val.Sort();
        return (new SubsetDataset(dataset, train), new SubsetDataset(dataset, val));
    }
}
