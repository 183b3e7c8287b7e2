using InceptionNeXt.ML.Imaging;
using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;

namespace InceptionNeXt.Tests.Imaging;

/// <summary>
/// <see cref="ImagePreprocessor"/> against a Python re-implementation of timm's eval transform as torchvision
/// runs it on PIL images (torchvision itself is not needed): PIL resize of the shorter side, torchvision's
/// center-crop rounding and zero padding, float32 /255 and (x - mean) / std.
/// </summary>
[TestClass]
public sealed class ImagePreprocessorParityTests
{
    private const string Script = """
import sys, math, numpy as np
from PIL import Image, ImageOps
out = sys.argv[1]
rng = np.random.RandomState(9)
def photo(w, h):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    a = np.stack([128 + 100 * np.sin(x / 9.0) * np.cos(y / 13.0), 255 * x / w, 255 * y / h], -1) + rng.normal(0, 20, (h, w, 3))
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), 'RGB')
photo(500, 375).save(f'{out}/landscape.jpg', quality=90)
photo(300, 451).save(f'{out}/portrait.png')
photo(50, 30).save(f'{out}/tiny.jpg', quality=90)
photo(256, 256).save(f'{out}/square.png')
ex = Image.Exif(); ex[0x0112] = 6
photo(400, 300).save(f'{out}/rotated.jpg', quality=90, exif=ex.tobytes())
filters = {'bicubic': Image.BICUBIC, 'bilinear': Image.BILINEAR}
configs = [
    ('default', 224, 0.875, 'bicubic', (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), True),
    ('crop095', 224, 0.95, 'bilinear', (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), True),
    ('s288', 288, 1.0, 'bicubic', (0.5, 0.5, 0.5), (0.5, 0.5, 0.5), True),
    ('pad', 224, 1.15, 'bicubic', (0.485, 0.456, 0.406), (0.229, 0.224, 0.225), True),
    ('raw', 224, 0.875, 'bicubic', (0, 0, 0), (1, 1, 1), False),
]
def transform(path, size, crop_pct, interp, mean, std, normalize):
    img = ImageOps.exif_transpose(Image.open(path)).convert('RGB')
    scale = math.floor(size / crop_pct)
    w, h = img.size
    if w <= h:
        nw, nh = scale, int(scale * h / w)
    else:
        nw, nh = int(scale * w / h), scale
    if (nw, nh) != (w, h):
        img = img.resize((nw, nh), filters[interp])
    a = np.asarray(img)
    if size > nw or size > nh:
        pl = (size - nw) // 2 if size > nw else 0
        pt = (size - nh) // 2 if size > nh else 0
        pr = (size - nw + 1) // 2 if size > nw else 0
        pb = (size - nh + 1) // 2 if size > nh else 0
        a = np.pad(a, ((pt, pb), (pl, pr), (0, 0)))
        nh, nw = a.shape[:2]
    top = int(round((nh - size) / 2.0))
    left = int(round((nw - size) / 2.0))
    a = a[top:top + size, left:left + size]
    t = a.transpose(2, 0, 1).astype(np.float32)
    if normalize:
        t = t / np.float32(255)
        t = (t - np.array(mean, np.float32)[:, None, None]) / np.array(std, np.float32)[:, None, None]
    return np.ascontiguousarray(t, dtype=np.float32)
lines = []
for img in ['landscape.jpg', 'portrait.png', 'tiny.jpg', 'square.png', 'rotated.jpg']:
    for c in configs:
        t = transform(f'{out}/{img}', *c[1:])
        fn = f'{img}.{c[0]}.f32'
        t.tofile(f'{out}/{fn}')
        lines.append(' '.join(map(str, [img, c[0], c[1], c[2], c[3], *c[4], *c[5], c[6], fn])))
open(f'{out}/cases.txt', 'w').write('\n'.join(lines) + '\n')
""";

    [TestMethod]
    public void MatchesPythonReferenceTransform()
    {
        ImagingFixtures.RequirePil();
        using var tmp = new TempDir();
        PythonRunner.Run(Script, tmp.Path);
        int cases = 0;
        float worstNormalized = 0, worstRaw = 0;
        foreach (string line in File.ReadAllLines(tmp.File("cases.txt")).Where(l => l.Length > 0))
        {
            string[] p = line.Split(' ');
            var options = new PreprocessOptions
            {
                InputSize = int.Parse(p[2]),
                CropPct = double.Parse(p[3]),
                Interpolation = Enum.Parse<ResamplingFilter>(p[4], ignoreCase: true),
                Mean = [float.Parse(p[5]), float.Parse(p[6]), float.Parse(p[7])],
                Std = [float.Parse(p[8]), float.Parse(p[9]), float.Parse(p[10])],
                Normalize = bool.Parse(p[11]),
            };
            var pre = new ImagePreprocessor(options);
            float[] expected = ImagingFixtures.ReadFloats(tmp.File(p[12]));
            float[] actual = pre.Preprocess(tmp.File(p[0]));
            Assert.AreEqual(expected.Length, actual.Length);
            float diff = ImagingFixtures.MaxAbsDiff(expected, actual);
            if (options.Normalize)
            {
                worstNormalized = Math.Max(worstNormalized, diff);
            }
            else
            {
                worstRaw = Math.Max(worstRaw, diff);
            }

            Assert.AreEqual(0f, diff, $"{p[0]} {p[1]}");
            cases++;
        }

        Console.WriteLine($"{cases} preprocessing cases; max |diff| normalised = {worstNormalized}, raw 0..255 = {worstRaw}");
        Assert.AreEqual(25, cases);
    }

    [TestMethod]
    public void TorchvisionSizeAndCropArithmetic()
    {
        Assert.AreEqual((341, 256), ImagePreprocessor.ComputeResizedSize(500, 375, 256));
        Assert.AreEqual((256, 384), ImagePreprocessor.ComputeResizedSize(300, 451, 256));
        Assert.AreEqual((256, 256), ImagePreprocessor.ComputeResizedSize(10, 10, 256));
        Assert.AreEqual((426, 256), ImagePreprocessor.ComputeResizedSize(50, 30, 256));
        Assert.AreEqual(58, ImagePreprocessor.ComputeCropOffset(341, 224)); // round(58.5) = 58 (half to even)
        Assert.AreEqual(16, ImagePreprocessor.ComputeCropOffset(256, 224));
        Assert.AreEqual(2, ImagePreprocessor.ComputeCropOffset(227, 224)); // round(1.5) = 2
        Assert.AreEqual(-11, ImagePreprocessor.ComputeCropOffset(202, 224));
        Assert.AreEqual(256, new PreprocessOptions().ResizeSize);
        Assert.AreEqual(235, new PreprocessOptions { CropPct = 0.95 }.ResizeSize);
    }

    [TestMethod]
    public void DestinationSpanOverloadWritesInPlace()
    {
        var pixels = new byte[300 * 200 * 3];
        new Random(1).NextBytes(pixels);
        var image = new RgbImage(300, 200, pixels);
        var pre = new ImagePreprocessor();
        float[] alone = pre.ToTensor(image);
        var batch = new float[2 * pre.TensorLength];
        pre.ToTensor(image, batch.AsSpan(pre.TensorLength));
        CollectionAssert.AreEqual(alone, batch[pre.TensorLength..]);
        Assert.IsTrue(batch[..pre.TensorLength].All(v => v == 0));
        Assert.ThrowsExactly<ArgumentException>(() => pre.ToTensor(image, new float[10]));
    }

    [TestMethod]
    public void InvalidOptionsAreRejected()
    {
        Assert.ThrowsExactly<ArgumentException>(() => new ImagePreprocessor(new PreprocessOptions { InputSize = 0 }));
        Assert.ThrowsExactly<ArgumentException>(() => new ImagePreprocessor(new PreprocessOptions { CropPct = 0 }));
        Assert.ThrowsExactly<ArgumentException>(() => new ImagePreprocessor(new PreprocessOptions { Mean = [0.5f] }));
        Assert.ThrowsExactly<ArgumentException>(() => new ImagePreprocessor(new PreprocessOptions { Std = [1, 0, 1] }));
    }
}
