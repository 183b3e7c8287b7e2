using System.Buffers.Binary;

namespace InceptionNeXt.ML.Imaging;

/// <summary>
/// The EXIF Orientation tag (0x0112): how the stored pixels must be transformed for display. The names say
/// which transform <see cref="ImageOrientation.Apply"/> performs; the comments give the matching PIL
/// <c>Image.Transpose</c> member that <c>ImageOps.exif_transpose</c> uses.
/// </summary>
public enum ExifOrientation
{
    /// <summary>1: stored upright, nothing to do.</summary>
    Normal = 1,

    /// <summary>2: mirror left-right (PIL FLIP_LEFT_RIGHT).</summary>
    FlipHorizontal = 2,

    /// <summary>3: rotate 180 degrees (PIL ROTATE_180).</summary>
    Rotate180 = 3,

    /// <summary>4: mirror top-bottom (PIL FLIP_TOP_BOTTOM).</summary>
    FlipVertical = 4,

    /// <summary>5: swap rows and columns across the main diagonal (PIL TRANSPOSE).</summary>
    Transpose = 5,

    /// <summary>6: rotate 90 degrees clockwise (PIL ROTATE_270).</summary>
    Rotate90Clockwise = 6,

    /// <summary>7: swap across the anti-diagonal (PIL TRANSVERSE).</summary>
    Transverse = 7,

    /// <summary>8: rotate 90 degrees counter-clockwise (PIL ROTATE_90).</summary>
    Rotate90CounterClockwise = 8,
}

/// <summary>Reads the Orientation tag from an EXIF block (the TIFF structure in a JPEG APP1 segment or PNG eXIf chunk).</summary>
public static class ExifReader
{
    private const ushort OrientationTag = 0x0112;

    /// <summary>
    /// The orientation in IFD0 of <paramref name="exif"/>, or <see cref="ExifOrientation.Normal"/> when absent,
    /// malformed, or outside 1..8 (PIL ignores such values too). Accepts data with or without the
    /// <c>"Exif\0\0"</c> prefix. Never throws on malformed input.
    /// </summary>
    /// <param name="exif">The EXIF payload.</param>
    public static ExifOrientation ReadOrientation(ReadOnlySpan<byte> exif)
    {
        if (exif.Length >= 6 && exif[..6].SequenceEqual("Exif\0\0"u8))
        {
            exif = exif[6..];
        }

        if (exif.Length < 8)
        {
            return ExifOrientation.Normal;
        }

        bool little;
        if (exif[0] == (byte)'I' && exif[1] == (byte)'I' && exif[2] == 42 && exif[3] == 0)
        {
            little = true;
        }
        else if (exif[0] == (byte)'M' && exif[1] == (byte)'M' && exif[2] == 0 && exif[3] == 42)
        {
            little = false;
        }
        else
        {
            return ExifOrientation.Normal;
        }

        uint ifd = U32(exif[4..], little);
        if (ifd > (uint)exif.Length - 2 || ifd < 8)
        {
            return ExifOrientation.Normal;
        }

        int count = U16(exif[(int)ifd..], little);
        int pos = (int)ifd + 2;
        for (int i = 0; i < count && pos + 12 <= exif.Length; i++, pos += 12)
        {
            ReadOnlySpan<byte> entry = exif.Slice(pos, 12);
            if (U16(entry, little) != OrientationTag)
            {
                continue;
            }

            ushort type = U16(entry[2..], little);
            uint n = U32(entry[4..], little);
            if (n != 1)
            {
                return ExifOrientation.Normal;
            }

            uint value = type switch
            {
                3 => U16(entry[8..], little), // SHORT, left-justified in the value field
                4 => U32(entry[8..], little), // LONG
                _ => 0,
            };
            return value is >= 1 and <= 8 ? (ExifOrientation)value : ExifOrientation.Normal;
        }

        return ExifOrientation.Normal;
    }

    private static ushort U16(ReadOnlySpan<byte> s, bool little)
        => little ? BinaryPrimitives.ReadUInt16LittleEndian(s) : BinaryPrimitives.ReadUInt16BigEndian(s);

    private static uint U32(ReadOnlySpan<byte> s, bool little)
        => little ? BinaryPrimitives.ReadUInt32LittleEndian(s) : BinaryPrimitives.ReadUInt32BigEndian(s);
}
