namespace InceptionNeXt.ML.Imaging;

/// <summary>What the marker scan of a JPEG found before its first scan.</summary>
/// <param name="SosOffset">Offset of the first SOS marker (FF DA).</param>
/// <param name="ExifOffset">Offset of the first APP1 "Exif" payload, or 0.</param>
/// <param name="ExifLength">Length of that payload, or 0 when there is none.</param>
internal readonly record struct JpegLayout(int SosOffset, int ExifOffset, int ExifLength);

/// <summary>
/// The JPEG structure this project reads itself, whichever library decodes the pixels: the EXIF segment (neither
/// library applies orientation) and whether the data ends early.
/// </summary>
internal static class JpegMarkers
{
    /// <summary>
    /// Walks the marker segments from SOI to the first SOS: finds the first APP1 "Exif" segment and detects data
    /// that ends inside the header. Throws <see cref="InvalidImageException"/> on truncation or a broken segment chain.
    /// </summary>
    public static JpegLayout Scan(ReadOnlySpan<byte> data, string name)
    {
        int exifOffset = 0, exifLength = 0;
        int pos = 2; // after SOI
        while (true)
        {
            // Markers may be preceded by any number of 0xFF fill bytes.
            if (pos >= data.Length)
            {
                throw InvalidImageException.Create(name, "truncated JPEG (the data ends inside the header, before any image data)");
            }

            if (data[pos] != 0xFF)
            {
                throw InvalidImageException.Create(name, $"corrupt JPEG header (expected a marker at byte {pos}, found 0x{data[pos]:X2})");
            }

            while (pos < data.Length && data[pos] == 0xFF)
            {
                pos++;
            }

            if (pos >= data.Length)
            {
                throw InvalidImageException.Create(name, "truncated JPEG (the data ends inside the header, before any image data)");
            }

            byte marker = data[pos++];
            if (marker is 0x01 or (>= 0xD0 and <= 0xD7))
            {
                continue; // TEM, RSTn: no length
            }

            if (marker == 0xD9)
            {
                throw InvalidImageException.Create(name, "corrupt JPEG (end-of-image marker before any image data)");
            }

            if (pos + 2 > data.Length)
            {
                throw InvalidImageException.Create(name, "truncated JPEG (the data ends inside the header, before any image data)");
            }

            int length = (data[pos] << 8) | data[pos + 1];
            if (length < 2)
            {
                throw InvalidImageException.Create(name, $"corrupt JPEG header (segment 0xFF{marker:X2} has length {length})");
            }

            if (pos + length > data.Length)
            {
                throw InvalidImageException.Create(name, "truncated JPEG (the data ends inside the header, before any image data)");
            }

            if (marker == 0xDA)
            {
                return new JpegLayout(pos - 2, exifOffset, exifLength);
            }

            ReadOnlySpan<byte> payload = data.Slice(pos + 2, length - 2);
            if (marker == 0xE1 && exifLength == 0 && payload.Length >= 5 && payload[..5].SequenceEqual("Exif\0"u8))
            {
                exifOffset = pos + 2;
                exifLength = payload.Length;
            }

            pos += length;
        }
    }

    /// <summary>
    /// Whether an EOI marker (FF D9) follows <paramref name="offset"/>. Entropy-coded data cannot contain FF D9
    /// (a data byte FF is stuffed as FF 00), so its absence after the first scan means the file was cut.
    /// </summary>
    public static bool HasEoiAfter(ReadOnlySpan<byte> data, int offset)
        => offset >= 0 && offset < data.Length && data[offset..].LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]) >= 0;
}
