using System.Globalization;
using System.Text.RegularExpressions;
using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.Training.Data;

/// <summary>
/// timm's <c>rand_augment_transform</c>: <see cref="NumLayers"/> ops drawn with replacement from the op list,
/// each applied with probability 0.5 at magnitude <see cref="Magnitude"/> (jittered by a normal of
/// <see cref="MagnitudeStd"/>, clipped to [0, <see cref="MagnitudeMax"/>]). Config strings like
/// <c>rand-m9-mstd0.5-inc1</c>: <c>m</c> magnitude (0..10 scale, default 10), <c>n</c> layers (default 2),
/// <c>mstd</c> magnitude std (default 0; "inf" = uniform in [0, m]), <c>mmax</c> magnitude cap (default 10),
/// <c>inc</c> 1 for timm's "increasing" op list (<c>_RAND_INCREASING_TRANSFORMS</c>), 0 for <c>_RAND_TRANSFORMS</c>.
/// Geometric ops use nearest or bilinear sampling (timm draws bilinear or bicubic; bicubic is done as bilinear
/// here) and fill uncovered pixels with <see cref="Fill"/>.
/// </summary>
public sealed partial class RandAugment
{
    /// <summary>timm's <c>_RAND_INCREASING_TRANSFORMS</c>.</summary>
    public static IReadOnlyList<string> IncreasingOps { get; } =
    [
        "AutoContrast", "Equalize", "Invert", "Rotate", "PosterizeIncreasing", "SolarizeIncreasing", "SolarizeAdd",
        "ColorIncreasing", "ContrastIncreasing", "BrightnessIncreasing", "SharpnessIncreasing", "ShearX", "ShearY",
        "TranslateXRel", "TranslateYRel",
    ];

    /// <summary>timm's <c>_RAND_TRANSFORMS</c>.</summary>
    public static IReadOnlyList<string> StandardOps { get; } =
    [
        "AutoContrast", "Equalize", "Invert", "Rotate", "Posterize", "Solarize", "SolarizeAdd", "Color", "Contrast",
        "Brightness", "Sharpness", "ShearX", "ShearY", "TranslateXRel", "TranslateYRel",
    ];

    private const double LevelDenominator = 10.0;

    /// <summary>Creates the transform.</summary>
    /// <param name="magnitude">Magnitude on the 0..10 scale.</param>
    /// <param name="numLayers">Ops applied per image.</param>
    /// <param name="magnitudeStd">Std of the per-op magnitude noise (0: none; infinity: uniform in [0, magnitude]).</param>
    /// <param name="magnitudeMax">Upper clip of the magnitude.</param>
    /// <param name="increasing">Use the increasing op list.</param>
    /// <param name="fill">Fill colour of geometric ops.</param>
    /// <param name="translatePct">Translation fraction at magnitude 10 (timm 0.45).</param>
    /// <param name="bilinear">Bilinear sampling for geometric ops (false: nearest).</param>
    public RandAugment(double magnitude = 10, int numLayers = 2, double magnitudeStd = 0, double magnitudeMax = 10,
        bool increasing = false, (byte R, byte G, byte B)? fill = null, double translatePct = 0.45, bool bilinear = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(numLayers);
        Magnitude = magnitude;
        NumLayers = numLayers;
        MagnitudeStd = magnitudeStd;
        MagnitudeMax = magnitudeMax;
        Increasing = increasing;
        Fill = fill ?? ImageOps.DefaultFill;
        TranslatePct = translatePct;
        Bilinear = bilinear;
    }

    /// <summary>Magnitude (0..10 scale).</summary>
    public double Magnitude { get; }

    /// <summary>Ops per image.</summary>
    public int NumLayers { get; }

    /// <summary>Magnitude noise std.</summary>
    public double MagnitudeStd { get; }

    /// <summary>Magnitude cap.</summary>
    public double MagnitudeMax { get; }

    /// <summary>Whether the increasing op list is used.</summary>
    public bool Increasing { get; }

    /// <summary>Fill colour of geometric ops.</summary>
    public (byte R, byte G, byte B) Fill { get; }

    /// <summary>Translation fraction at magnitude 10.</summary>
    public double TranslatePct { get; }

    /// <summary>Bilinear (true) or nearest sampling for geometric ops.</summary>
    public bool Bilinear { get; }

    /// <summary>The op list in use.</summary>
    public IReadOnlyList<string> Ops => Increasing ? IncreasingOps : StandardOps;

    /// <summary>Parses a timm config string such as <c>rand-m9-mstd0.5-inc1</c>.</summary>
    /// <param name="config">The string; must start with "rand".</param>
    /// <param name="fill">Fill colour of geometric ops (timm's create_transform passes the mean colour).</param>
    /// <param name="bilinear">Bilinear sampling for geometric ops.</param>
    /// <exception cref="FormatException">Not a RandAugment string, or an unknown/invalid section.</exception>
    public static RandAugment Parse(string config, (byte R, byte G, byte B)? fill = null, bool bilinear = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        string[] parts = config.Split('-');
        if (parts[0] != "rand")
        {
            throw new FormatException($"'{config}': not a RandAugment config (must start with 'rand', e.g. 'rand-m9-mstd0.5-inc1').");
        }

        double m = LevelDenominator, mstd = 0, mmax = LevelDenominator;
        int n = 2;
        bool inc = false;
        foreach (string part in parts.Skip(1))
        {
            Match match = SectionRegex().Match(part);
            if (!match.Success)
            {
                throw new FormatException($"'{config}': cannot parse section '{part}'.");
            }

            string key = match.Groups[1].Value, value = match.Groups[2].Value;
            double number = value == "inf" ? double.PositiveInfinity
                : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
                : throw new FormatException($"'{config}': bad number in section '{part}'.");
            switch (key)
            {
                case "mstd":
                    mstd = number;
                    break;
                case "mmax":
                    mmax = number;
                    break;
                case "m":
                    m = number;
                    break;
                case "n" when number == Math.Floor(number) && number >= 0 && number < 100:
                    n = (int)number;
                    break;
                case "inc" when number is 0 or 1:
                    inc = number == 1;
                    break;
                default:
                    throw new FormatException($"'{config}': unknown or invalid RandAugment section '{part}' (supported: m, n, mstd, mmax, inc0/inc1).");
            }
        }

        return new RandAugment(m, n, mstd, mmax, inc, fill, bilinear: bilinear);
    }

    /// <summary>Applies <see cref="NumLayers"/> random ops (each with probability 0.5).</summary>
    /// <param name="image">The source.</param>
    /// <param name="rng">The generator.</param>
    public RgbImage Apply(RgbImage image, Random rng)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(rng);
        IReadOnlyList<string> ops = Ops;
        RgbImage result = image;
        for (int i = 0; i < NumLayers; i++)
        {
            string op = ops[rng.Next(ops.Count)];
            if (rng.NextDouble() > 0.5)
            {
                continue;
            }

            double magnitude = Magnitude;
            if (double.IsPositiveInfinity(MagnitudeStd))
            {
                magnitude = rng.Uniform(0, magnitude);
            }
            else if (MagnitudeStd > 0)
            {
                magnitude = rng.Gauss(magnitude, MagnitudeStd);
            }

            magnitude = Math.Max(0, Math.Min(magnitude, MagnitudeMax));
            result = ApplyOp(op, result, magnitude, rng);
        }

        return ReferenceEquals(result, image) ? image.Clone() : result;
    }

    /// <summary>
    /// One op at a magnitude (0..10), with timm's level-to-argument mapping; ops with a sign (rotate, shear,
    /// translate, the increasing enhances) negate it with probability 0.5 using <paramref name="rng"/>.
    /// </summary>
    /// <param name="op">An op name from <see cref="IncreasingOps"/> or <see cref="StandardOps"/>.</param>
    /// <param name="image">The source.</param>
    /// <param name="magnitude">The magnitude.</param>
    /// <param name="rng">The generator (sign draws).</param>
    public RgbImage ApplyOp(string op, RgbImage image, double magnitude, Random rng)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(rng);
        double level = magnitude / LevelDenominator;
        double Negate(double v) => rng.NextDouble() > 0.5 ? -v : v;
        return op switch
        {
            "AutoContrast" => ImageOps.AutoContrast(image),
            "Equalize" => ImageOps.Equalize(image),
            "Invert" => ImageOps.Invert(image),
            "Rotate" => ImageOps.Rotate(image, Negate(level * 30.0), Bilinear, Fill),
            "Posterize" => ImageOps.Posterize(image, (int)(level * 4)),
            "PosterizeIncreasing" => ImageOps.Posterize(image, 4 - (int)(level * 4)),
            "Solarize" => ImageOps.Solarize(image, (int)(level * 256)),
            "SolarizeIncreasing" => ImageOps.Solarize(image, 256 - (int)(level * 256)),
            "SolarizeAdd" => ImageOps.SolarizeAdd(image, (int)(level * 110)),
            "Color" => ImageOps.Color(image, (level * 1.8) + 0.1),
            "Contrast" => ImageOps.Contrast(image, (level * 1.8) + 0.1),
            "Brightness" => ImageOps.Brightness(image, (level * 1.8) + 0.1),
            "Sharpness" => ImageOps.Sharpness(image, (level * 1.8) + 0.1),
            "ColorIncreasing" => ImageOps.Color(image, 1.0 + Negate(level * 0.9)),
            "ContrastIncreasing" => ImageOps.Contrast(image, 1.0 + Negate(level * 0.9)),
            "BrightnessIncreasing" => ImageOps.Brightness(image, 1.0 + Negate(level * 0.9)),
            "SharpnessIncreasing" => ImageOps.Sharpness(image, 1.0 + Negate(level * 0.9)),
            "ShearX" => ImageOps.Affine(image, (1, Negate(level * 0.3), 0, 0, 1, 0), Bilinear, Fill),
            "ShearY" => ImageOps.Affine(image, (1, 0, 0, Negate(level * 0.3), 1, 0), Bilinear, Fill),
            "TranslateXRel" => ImageOps.Affine(image, (1, 0, Negate(level * TranslatePct) * image.Width, 0, 1, 0), Bilinear, Fill),
            "TranslateYRel" => ImageOps.Affine(image, (1, 0, 0, 0, 1, Negate(level * TranslatePct) * image.Height), Bilinear, Fill),
            _ => throw new ArgumentException($"Unknown RandAugment op '{op}'.", nameof(op)),
        };
    }

    /// <inheritdoc />
    public override string ToString()
        => $"RandAugment(n={NumLayers}, m={Magnitude}, mstd={MagnitudeStd}, mmax={MagnitudeMax}, ops={(Increasing ? "increasing" : "standard")})";

    [GeneratedRegex(@"^([a-z]+)(\d.*|inf)$")]
    private static partial Regex SectionRegex();
}
