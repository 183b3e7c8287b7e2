using System.Runtime.InteropServices;

namespace InceptionNeXt.ML.Imaging;

/// <summary>
/// Function pointers into libpng 1.6's simplified read API (<c>png_image_*</c>), loaded on first use.
/// The simplified API handles libpng's setjmp/longjmp error handling internally, so errors come back as a
/// return value and a message in <see cref="PngImage.Message"/> rather than as a longjmp through managed frames.
/// A <see cref="PngImage"/> belongs to one call, so concurrent decodes are independent.
/// </summary>
internal static unsafe class LibPngNative
{
    public const uint PNG_IMAGE_VERSION = 1;

    public const uint PNG_FORMAT_FLAG_ALPHA = 0x01;
    public const uint PNG_FORMAT_FLAG_COLOR = 0x02;
    public const uint PNG_FORMAT_FLAG_LINEAR = 0x04;

    public const uint PNG_FORMAT_RGB = PNG_FORMAT_FLAG_COLOR;
    public const uint PNG_FORMAT_RGBA = PNG_FORMAT_RGB | PNG_FORMAT_FLAG_ALPHA;
    public const uint PNG_FORMAT_LINEAR_Y = PNG_FORMAT_FLAG_LINEAR;
    public const uint PNG_FORMAT_LINEAR_RGB = PNG_FORMAT_FLAG_LINEAR | PNG_FORMAT_FLAG_COLOR;

    /// <summary>Treat 16-bit data without gAMA/sRGB as sRGB-encoded (not linear), so 16 to 8 bits is a plain rescale.</summary>
    public const uint PNG_IMAGE_FLAG_16BIT_sRGB = 0x04;

    public const uint PNG_IMAGE_ERROR = 2;

    private static readonly Lazy<Api> s_api = new(LoadApi, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The loaded entry points.</summary>
    public static Api Functions => s_api.Value;

    private static Api LoadApi()
    {
        NativeImageLibrary lib = NativeImageLibrary.Load(
            "libpng 1.6",
            "Install libpng16 (Debian/Ubuntu: apt-get install libpng16-16; macOS: brew install libpng; Windows: libpng16.dll on PATH).",
            "libpng16.so.16", "libpng16.so", "libpng16.16.dylib", "libpng16.dylib", "libpng16.dll", "png16");
        return new Api
        {
            BeginReadFromMemory = (delegate* unmanaged[Cdecl]<PngImage*, void*, nuint, int>)lib.Export("png_image_begin_read_from_memory"),
            FinishRead = (delegate* unmanaged[Cdecl]<PngImage*, void*, void*, int, void*, int>)lib.Export("png_image_finish_read"),
            Free = (delegate* unmanaged[Cdecl]<PngImage*, void>)lib.Export("png_image_free"),
        };
    }

    /// <summary>The C <c>png_image</c> struct (version 1).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PngImage
    {
        public nint Opaque;
        public uint Version;
        public uint Width;
        public uint Height;
        public uint Format;
        public uint Flags;
        public uint ColormapEntries;
        public uint WarningOrError;
        public fixed byte MessageBytes[64];

        /// <summary>The NUL-terminated message libpng left, or an empty string.</summary>
        public readonly string Message
        {
            get
            {
                fixed (byte* p = MessageBytes)
                {
                    return Marshal.PtrToStringUTF8((nint)p) ?? string.Empty;
                }
            }
        }
    }

    /// <summary>libpng simplified-API entry points.</summary>
    internal sealed class Api
    {
        /// <summary>int png_image_begin_read_from_memory(png_imagep, png_const_voidp memory, size_t size).</summary>
        public required delegate* unmanaged[Cdecl]<PngImage*, void*, nuint, int> BeginReadFromMemory { get; init; }

        /// <summary>int png_image_finish_read(png_imagep, png_const_colorp background, void* buffer, png_int_32 row_stride, void* colormap).</summary>
        public required delegate* unmanaged[Cdecl]<PngImage*, void*, void*, int, void*, int> FinishRead { get; init; }

        /// <summary>void png_image_free(png_imagep).</summary>
        public required delegate* unmanaged[Cdecl]<PngImage*, void> Free { get; init; }
    }
}
