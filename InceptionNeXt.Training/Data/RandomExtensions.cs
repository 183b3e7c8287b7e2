namespace InceptionNeXt.Training.Data;

/// <summary>Python <c>random</c>-style draws on a <see cref="Random"/> (the transforms never use a global RNG).</summary>
public static class RandomExtensions
{
    /// <summary>Python's <c>random.uniform(a, b)</c>: <c>a + (b - a) * random()</c>.</summary>
    /// <param name="rng">The generator.</param>
    /// <param name="a">One end.</param>
    /// <param name="b">The other end.</param>
    public static double Uniform(this Random rng, double a, double b) => a + ((b - a) * rng.NextDouble());

    /// <summary>Python's <c>random.randint(a, b)</c>: an integer in [a, b], both inclusive.</summary>
    /// <param name="rng">The generator.</param>
    /// <param name="a">Lowest value.</param>
    /// <param name="b">Highest value, at least <paramref name="a"/>.</param>
    public static int RandInt(this Random rng, int a, int b) => rng.Next(a, b + 1);

    /// <summary>A normal sample (Box-Muller).</summary>
    /// <param name="rng">The generator.</param>
    /// <param name="mean">Mean.</param>
    /// <param name="std">Standard deviation.</param>
    public static double Gauss(this Random rng, double mean = 0, double std = 1)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return mean + (std * Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>A 32-bit seed mixed from several values (SplitMix64 finaliser), e.g. (seed, epoch, sample index).</summary>
    /// <param name="values">The values to mix.</param>
    public static int MixSeed(params ReadOnlySpan<long> values)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (long v in values)
        {
            h ^= (ulong)v + 0x9E3779B97F4A7C15UL + (h << 6) + (h >> 2);
            h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
            h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
            h ^= h >> 31;
        }

        return (int)(h & 0x7FFFFFFF);
    }
}
