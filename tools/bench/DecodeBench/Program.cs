// Decodes the same in-memory files with the old path and with SkiaSharp, taking turns (one pass over a folder's files
// each, the order swapped every pair so neither side always runs first), on one thread. Per pair: ratio = old seconds /
// SkiaSharp seconds (above 1: SkiaSharp faster). Prints, per folder and format, each side's median pass in images/s
// and megapixels/s and the median ratio with its quartiles and range. The old JPEG path is TurboJPEG (still
// JpegBackend.TurboJpeg); the old PNG path, libpng, was deleted once measured (BENCHMARKS.md), so PNG rows time
// SkiaSharp alone.
// Usage: DecodeBench PAIRS DIR [DIR...]
using System.Diagnostics;
using System.Globalization;
using InceptionNeXt.ML.Imaging;

if (args.Length < 2 || !int.TryParse(args[0], CultureInfo.InvariantCulture, out int pairs) || pairs < 1)
{
    Console.Error.WriteLine("usage: DecodeBench PAIRS DIR [DIR...]");
    return 2;
}

if (!ImageDecoder.TurboJpegAvailable)
{
    Console.Error.WriteLine("libturbojpeg cannot be loaded: there is no old JPEG path to compare with.");
    return 1;
}

var skia = new ImageDecoder { JpegBackend = JpegBackend.Skia };
var turbo = new ImageDecoder { JpegBackend = JpegBackend.TurboJpeg };
Console.WriteLine("| folder | format | files | megapixels | pairs | old path | old img/s (MP/s) | SkiaSharp img/s (MP/s) | old time / SkiaSharp time: median (quartiles; range) | identical pixels |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
foreach (string dir in args[1..])
{
    byte[][] all = Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray();
    foreach (ImageFormat format in new[] { ImageFormat.Jpeg, ImageFormat.Png })
    {
        byte[][] files = all.Where(d => ImageFormatDetector.Detect(d) == format).ToArray();
        if (files.Length == 0)
        {
            continue;
        }

        Func<byte[], RgbImage>? before = format == ImageFormat.Jpeg ? d => turbo.Decode(d) : null;
        Func<byte[], RgbImage> after = d => skia.Decode(d);

        // Warm-up pass for each side, which also checks that both give the same pixels.
        int identical = 0;
        double megapixels = 0;
        foreach (byte[] d in files)
        {
            RgbImage b = after(d);
            RgbImage? a = before?.Invoke(d);
            identical += a is not null && a.Width == b.Width && a.Pixels.AsSpan().SequenceEqual(b.Pixels) ? 1 : 0;
            megapixels += (double)b.Width * b.Height / 1e6;
        }

        if (before is null)
        {
            double skiaOnly = Median(Enumerable.Range(0, pairs).Select(_ => Pass(files, after)).ToArray());
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {Path.GetFileName(Path.TrimEndingDirectorySeparator(dir))} | {format.ToString().ToUpperInvariant()} | {files.Length} | {megapixels:F1} | {pairs} | (libpng deleted) | - | {files.Length / skiaOnly:F1} ({megapixels / skiaOnly:F1}) | - | - |"));
            continue;
        }

        var oldTimes = new double[pairs];
        var newTimes = new double[pairs];
        var ratios = new double[pairs];
        for (int p = 0; p < pairs; p++)
        {
            if (p % 2 == 0)
            {
                oldTimes[p] = Pass(files, before);
                newTimes[p] = Pass(files, after);
            }
            else
            {
                newTimes[p] = Pass(files, after);
                oldTimes[p] = Pass(files, before);
            }

            ratios[p] = oldTimes[p] / newTimes[p];
        }

        Array.Sort(ratios);
        double oldMedian = Median(oldTimes), newMedian = Median(newTimes);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {Path.GetFileName(Path.TrimEndingDirectorySeparator(dir))} | {format.ToString().ToUpperInvariant()} | {files.Length} | {megapixels:F1} | {pairs} | TurboJPEG " +
            $"| {files.Length / oldMedian:F1} ({megapixels / oldMedian:F1}) | {files.Length / newMedian:F1} ({megapixels / newMedian:F1}) " +
            $"| {Median(ratios):F3}x ({Quantile(ratios, 0.25):F3}-{Quantile(ratios, 0.75):F3}; {ratios[0]:F3}-{ratios[^1]:F3}) | {identical}/{files.Length} |"));
    }
}

return 0;

static double Pass(byte[][] files, Func<byte[], RgbImage> decode)
{
    long start = Stopwatch.GetTimestamp();
    foreach (byte[] d in files)
    {
        _ = decode(d);
    }

    return Stopwatch.GetElapsedTime(start).TotalSeconds;
}

static double Median(double[] values) => Quantile(values.Order().ToArray(), 0.5);

static double Quantile(double[] sorted, double q)
{
    double pos = (sorted.Length - 1) * q;
    int lo = (int)Math.Floor(pos), hi = (int)Math.Ceiling(pos);
    return sorted[lo] + ((sorted[hi] - sorted[lo]) * (pos - lo));
}
