using InceptionNeXt.ML.Imaging;
using InceptionNeXt.ML.Inference;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace InceptionNeXt.ML.MLNet;

/// <summary>How an input column holds its images.</summary>
internal enum ImageColumnKind
{
    /// <summary>Text: a file path (relative to the image folder, if any).</summary>
    Path,

    /// <summary>A vector of bytes: an encoded JPEG or PNG, as ML.NET's <c>LoadRawImageBytes</c> gives.</summary>
    Bytes,

    /// <summary>ML.NET's <see cref="MLImage"/>, as its <c>LoadImages</c> gives: pixels already decoded.</summary>
    Image,
}

/// <summary>The image input column of an InceptionNeXt transformer: its checks and how a row's image is read.</summary>
internal static class ImageColumn
{
    /// <summary>What the input column must be, for error messages.</summary>
    private const string Expected = "a path (Text), bytes (a vector of Byte) or an image (MLImage)";

    private const string HowToFix = "Pass a column of file paths loaded as text, or make an image column first with " +
        "mlContext.Transforms.LoadImages (MLImage) or mlContext.Transforms.LoadRawImageBytes (encoded bytes).";

    /// <summary>The kind of <paramref name="type"/>, or null when it holds no image.</summary>
    public static ImageColumnKind? KindOf(DataViewType type) => type switch
    {
        TextDataViewType => ImageColumnKind.Path,
        VectorDataViewType { ItemType: var item } when item == NumberDataViewType.Byte => ImageColumnKind.Bytes,
        ImageDataViewType => ImageColumnKind.Image,
        _ => null,
    };

    /// <summary>Finds and checks the column named <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such column, or it holds no image; the message says what to do.</exception>
    public static (DataViewSchema.Column Column, ImageColumnKind Kind) Find(DataViewSchema schema, string name)
    {
        if (schema.GetColumnOrNull(name) is not { } column)
            throw new ArgumentOutOfRangeException("inputSchema", $"Input column '{name}' not found. The data has: {Describe(schema.Where(c => !c.IsHidden).Select(c => (c.Name, $"{c.Type}")))}.");
        return KindOf(column.Type) is { } kind ? (column, kind) : throw WrongType(name, $"{column.Type}");
    }

    /// <summary>Checks the column named <paramref name="name"/> of a schema shape (an estimator's <c>GetOutputSchema</c>).</summary>
    public static void Check(SchemaShape shape, string name)
    {
        if (!shape.TryFindColumn(name, out var column))
            throw new ArgumentOutOfRangeException("inputSchema", $"Input column '{name}' not found. The data has: {Describe(shape.Select(c => (c.Name, $"{c.ItemType}")))}.");
        var ok = column.Kind == SchemaShape.Column.VectorKind.Scalar && column.ItemType is TextDataViewType or ImageDataViewType
            || column.Kind != SchemaShape.Column.VectorKind.Scalar && column.ItemType == NumberDataViewType.Byte;
        if (!ok) throw WrongType(name, column.Kind == SchemaShape.Column.VectorKind.Scalar ? $"{column.ItemType}" : $"Vector<{column.ItemType}>");
    }

    private static ArgumentOutOfRangeException WrongType(string name, string type) =>
        new("inputSchema", $"Column '{name}' is {type}, expected {Expected}. {HowToFix}");

    private static string Describe(IEnumerable<(string Name, string Type)> columns)
    {
        var list = columns.Select(c => $"'{c.Name}' ({c.Type})").ToList();
        return list.Count == 0 ? "no columns" : string.Join(", ", list);
    }

    /// <summary>
    /// A function that reads the current row's image from <paramref name="row"/> as an <see cref="ImageInput"/>; a row
    /// without an image gives an input that fails with the reason (so it keeps its place in a batch).
    /// </summary>
    public static Func<ImageInput> CreateReader(DataViewRow row, DataViewSchema.Column column, ImageColumnKind kind, string? imageFolder)
    {
        string RowName() => $"column '{column.Name}', row {row.Position}";
        switch (kind)
        {
            case ImageColumnKind.Path:
            {
                var getter = row.GetGetter<ReadOnlyMemory<char>>(column);
                var text = default(ReadOnlyMemory<char>);
                return () =>
                {
                    getter(ref text);
                    var path = text.ToString().Trim();
                    if (path.Length == 0) return ImageInput.FromError(RowName(), InvalidImageException.Create(RowName(), "the path is empty"));
                    return ImageInput.FromFile(imageFolder is null ? path : System.IO.Path.Combine(imageFolder, path));
                };
            }
            case ImageColumnKind.Bytes:
            {
                var getter = row.GetGetter<VBuffer<byte>>(column);
                var buffer = default(VBuffer<byte>);
                return () =>
                {
                    getter(ref buffer);
                    // A copy: the batch decodes it later, after the getter's buffer has been reused for other rows.
                    var bytes = new byte[buffer.Length];
                    buffer.CopyTo(bytes);
                    return ImageInput.FromBytes(bytes, RowName());
                };
            }
            case ImageColumnKind.Image:
            {
                var getter = row.GetGetter<MLImage>(column);
                // Handed back on every call, as ML.NET's convention is: LoadImages disposes the previous row's image when
                // it makes the next one, so the pixels are copied out at once and the image is never kept or disposed here.
                MLImage? image = null;
                return () =>
                {
                    getter(ref image!);
                    return image is null
                        ? ImageInput.FromError(RowName(), InvalidImageException.Create(RowName(), "no image (the MLImage is null)"))
                        : ToImageInput(image, RowName());
                };
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }

    /// <summary>Copies an <see cref="MLImage"/>'s 32-bit pixels into an RGB image, dropping alpha.</summary>
    private static ImageInput ToImageInput(MLImage image, string name)
    {
        var (width, height) = (image.Width, image.Height);
        var source = image.Pixels;
        if (image.BitsPerPixel != 32 || source.Length != width * height * 4 || image.PixelFormat is not (MLPixelFormat.Bgra32 or MLPixelFormat.Rgba32))
            return ImageInput.FromError(name, InvalidImageException.Create(name, $"unsupported MLImage layout ({image.PixelFormat}, {image.BitsPerPixel} bits, {source.Length} bytes for {width}x{height})"));
        var (r, b) = image.PixelFormat == MLPixelFormat.Bgra32 ? (2, 0) : (0, 2);
        var rgb = new byte[width * height * 3];
        for (int i = 0, j = 0; i < source.Length; i += 4, j += 3)
        {
            rgb[j] = source[i + r];
            rgb[j + 1] = source[i + 1];
            rgb[j + 2] = source[i + b];
        }
        return ImageInput.FromImage(new RgbImage(width, height, rgb), name);
    }
}
