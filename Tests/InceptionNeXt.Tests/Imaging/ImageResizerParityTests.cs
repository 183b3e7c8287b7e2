using InceptionNeXt.ML.Imaging;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;

namespace InceptionNeXt.Tests.Imaging;

/// <summary><see cref="ImageResizer"/> against PIL 9.4's <c>Image.resize</c>.</summary>
[TestClass]
public sealed class ImageResizerParityTests
{
    /// <summary>
    /// argv[1] = dir. Writes src_{i}.rgb sources (noise + gradients, the hardest case for clipping) and one
    /// reference per case listed in cases.txt: "src srcW srcH outW outH filter boxL boxT boxR boxB file".
    /// </summary>
    private const string Script = """
import sys, numpy as np
from PIL import Image
out = sys.argv[1]
rng = np.random.RandomState(5)
srcs = [(97, 61), (300, 200), (37, 53), (500, 375), (8, 5)]
filters = {'bicubic': Image.BICUBIC, 'bilinear': Image.BILINEAR, 'lanczos': Image.LANCZOS, 'box': Image.BOX, 'hamming': Image.HAMMING}
lines = []
for i, (w, h) in enumerate(srcs):
    y, x = np.mgrid[0:h, 0:w]
    a = rng.randint(0, 256, (h, w, 3)).astype(np.float64)
    a[: h // 2] = np.stack([x * 255.0 / w, y * 255.0 / h, (x + y) % 256], -1)[: h // 2]
    a = a.astype(np.uint8)
    a.tofile(f'{out}/src_{i}.rgb')
    im = Image.fromarray(a, 'RGB')
    sizes = [(w * 3 + 1, h * 2 + 3), (w // 2 + 1, h // 3 + 1), (max(1, w // 7), max(1, h // 5)), (w, h // 2 + 1), (w + 5, h), (224, 224), (1, 1), (w, h)]
    for (ow, oh) in sizes:
        boxes = [None] if (ow, oh) != (w // 2 + 1, h // 3 + 1) else [None, (1.5, 2.25, w - 3.0, h - 1.5), (0, 0, w / 2, h)]
        for fname, f in filters.items():
            for box in boxes:
                r = im.resize((ow, oh), f, box=box)
                b = box or (0, 0, w, h)
                fn = f'ref_{len(lines)}.rgb'
                np.asarray(r).tofile(f'{out}/{fn}')
                lines.append(f'{i} {w} {h} {ow} {oh} {fname} {b[0]!r} {b[1]!r} {b[2]!r} {b[3]!r} {fn}')
open(f'{out}/cases.txt', 'w').write('\n'.join(lines) + '\n')
""";

    [TestMethod]
    public void ResizeMatchesPil()
    {
        ImagingFixtures.RequirePil();
        using var tmp = new TempDir();
        PythonRunner.Run(Script, tmp.Path);
        var sources = new Dictionary<string, RgbImage>();
        var worst = new Dictionary<string, int>();
        int cases = 0;
        foreach (string line in File.ReadAllLines(tmp.File("cases.txt")).Where(l => l.Length > 0))
        {
            string[] p = line.Split(' ');
            int w = int.Parse(p[1]), h = int.Parse(p[2]), ow = int.Parse(p[3]), oh = int.Parse(p[4]);
            if (!sources.TryGetValue(p[0], out RgbImage? src))
            {
                src = new RgbImage(w, h, File.ReadAllBytes(tmp.File($"src_{p[0]}.rgb")));
                sources[p[0]] = src;
            }

            ResamplingFilter filter = Enum.Parse<ResamplingFilter>(p[5], ignoreCase: true);
            var box = new ResizeBox(float.Parse(p[6]), float.Parse(p[7]), float.Parse(p[8]), float.Parse(p[9]));
            RgbImage result = ImageResizer.Resize(src, ow, oh, filter, box);
            int diff = ImagingFixtures.MaxAbsDiff(File.ReadAllBytes(tmp.File(p[10])), result.Pixels);
            worst[p[5]] = Math.Max(worst.GetValueOrDefault(p[5]), diff);
            Assert.AreEqual(0, diff, $"{w}x{h} -> {ow}x{oh} {p[5]} box ({p[6]}, {p[7]}, {p[8]}, {p[9]})");
            cases++;
        }

        Console.WriteLine($"{cases} resize cases; max |diff| per filter: {string.Join(", ", worst.Select(kv => $"{kv.Key}={kv.Value}"))}");
        Assert.IsGreaterThan(150, cases);
    }

    [TestMethod]
    public void WindowEqualsCropOfFullResize()
    {
        var rng = new Random(3);
        var pixels = new byte[123 * 77 * 3];
        rng.NextBytes(pixels);
        var src = new RgbImage(123, 77, pixels);
        foreach (ResamplingFilter f in Enum.GetValues<ResamplingFilter>())
        {
            foreach ((int ow, int oh) in new[] { (60, 40), (300, 190), (123, 50), (40, 77) })
            {
                RgbImage full = ImageResizer.Resize(src, ow, oh, f);
                int wx = ow / 5, wy = oh / 4, ww = ow / 2, wh = oh / 2;
                var window = new byte[ww * wh * 3];
                ImageResizer.ResizeWindow(src, ow, oh, f, ResizeBox.Full(123, 77), wx, wy, ww, wh, window);
                for (int y = 0; y < wh; y++)
                {
                    CollectionAssert.AreEqual(
                        full.Pixels.AsSpan(((wy + y) * ow + wx) * 3, ww * 3).ToArray(),
                        window.AsSpan(y * ww * 3, ww * 3).ToArray(),
                        $"{f} {ow}x{oh} row {y}");
                }
            }
        }
    }

    [TestMethod]
    public void SameSizeIsACopyAndBadBoxesThrow()
    {
        var src = new RgbImage(5, 4, Enumerable.Range(0, 60).Select(i => (byte)(i * 4)).ToArray());
        CollectionAssert.AreEqual(src.Pixels, ImageResizer.Resize(src, 5, 4).Pixels);
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageResizer.Resize(src, 3, 3, ResamplingFilter.Bicubic, new ResizeBox(-1, 0, 5, 4)));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageResizer.Resize(src, 3, 3, ResamplingFilter.Bicubic, new ResizeBox(0, 0, 6, 4)));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageResizer.Resize(src, 3, 3, ResamplingFilter.Bicubic, new ResizeBox(3, 0, 2, 4)));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ImageResizer.Resize(src, 0, 3));
    }
}
