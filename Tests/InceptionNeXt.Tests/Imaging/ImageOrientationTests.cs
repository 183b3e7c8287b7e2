using InceptionNeXt.ML.Imaging;

namespace InceptionNeXt.Tests.Imaging;

/// <summary>EXIF parsing and the eight orientation transforms, without native libraries.</summary>
[TestClass]
public sealed class ImageOrientationTests
{
    // 3x2 image whose pixel (x, y) has R = 10 * y + x.
    private static RgbImage Sample()
    {
        var img = new RgbImage(3, 2);
        for (int y = 0; y < 2; y++)
        {
            for (int x = 0; x < 3; x++)
            {
                img.Pixels[((y * 3) + x) * 3] = (byte)((10 * y) + x);
            }
        }

        return img;
    }

    private static int[,] Reds(RgbImage img)
    {
        var r = new int[img.Height, img.Width];
        for (int y = 0; y < img.Height; y++)
        {
            for (int x = 0; x < img.Width; x++)
            {
                r[y, x] = img.GetPixel(x, y).R;
            }
        }

        return r;
    }

    [TestMethod]
    public void AllEightOrientations()
    {
        var expected = new Dictionary<ExifOrientation, int[,]>
        {
            [ExifOrientation.Normal] = new[,] { { 0, 1, 2 }, { 10, 11, 12 } },
            [ExifOrientation.FlipHorizontal] = new[,] { { 2, 1, 0 }, { 12, 11, 10 } },
            [ExifOrientation.Rotate180] = new[,] { { 12, 11, 10 }, { 2, 1, 0 } },
            [ExifOrientation.FlipVertical] = new[,] { { 10, 11, 12 }, { 0, 1, 2 } },
            [ExifOrientation.Transpose] = new[,] { { 0, 10 }, { 1, 11 }, { 2, 12 } },
            [ExifOrientation.Rotate90Clockwise] = new[,] { { 10, 0 }, { 11, 1 }, { 12, 2 } },
            [ExifOrientation.Transverse] = new[,] { { 12, 2 }, { 11, 1 }, { 10, 0 } },
            [ExifOrientation.Rotate90CounterClockwise] = new[,] { { 2, 12 }, { 1, 11 }, { 0, 10 } },
        };
        foreach ((ExifOrientation o, int[,] want) in expected)
        {
            CollectionAssert.AreEqual(want, Reds(ImageOrientation.Apply(Sample(), o)), o.ToString());
        }
    }

    [TestMethod]
    public void ExifParsing()
    {
        byte[] le = Convert.FromHexString("457869660000" + "49492A0008000000" + "0100" + "120103000100000006000000" + "00000000");
        Assert.AreEqual(ExifOrientation.Rotate90Clockwise, ExifReader.ReadOrientation(le));
        byte[] be = Convert.FromHexString("4D4D002A00000008" + "0001" + "011200030000000100080000" + "00000000");
        Assert.AreEqual(ExifOrientation.Rotate90CounterClockwise, ExifReader.ReadOrientation(be));
        byte[] nine = Convert.FromHexString("4D4D002A00000008" + "0001" + "011200030000000100090000" + "00000000");
        Assert.AreEqual(ExifOrientation.Normal, ExifReader.ReadOrientation(nine));
        Assert.AreEqual(ExifOrientation.Normal, ExifReader.ReadOrientation([]));
        Assert.AreEqual(ExifOrientation.Normal, ExifReader.ReadOrientation(Convert.FromHexString("4D4D002AFFFFFFF0")));
        Assert.AreEqual(ExifOrientation.Normal, ExifReader.ReadOrientation(Convert.FromHexString("4D4D002A00000008FFFF0112")));
    }

    [TestMethod]
    public void FormatDetection()
    {
        Assert.AreEqual(ImageFormat.Jpeg, ImageFormatDetector.Detect([0xFF, 0xD8, 0xFF, 0xE0]));
        Assert.AreEqual(ImageFormat.Png, ImageFormatDetector.Detect([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]));
        Assert.AreEqual(ImageFormat.Unknown, ImageFormatDetector.Detect("GIF89a"u8));
        Assert.AreEqual(ImageFormat.Unknown, ImageFormatDetector.Detect([0x89, 0x50, 0x4E, 0x47]));
    }

    [TestMethod]
    public void RgbImageValidatesItsBuffer()
    {
        Assert.ThrowsExactly<ArgumentException>(() => new RgbImage(2, 2, new byte[11]));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new RgbImage(0, 2));
        Assert.AreEqual(6, new RgbImage(2, 1).Stride);
    }
}
