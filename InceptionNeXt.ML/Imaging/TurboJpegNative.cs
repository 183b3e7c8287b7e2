using System.Runtime.InteropServices;

namespace InceptionNeXt.ML.Imaging;

/// <summary>
/// Function pointers into libjpeg-turbo's TurboJPEG 2.x API (<c>turbojpeg.h</c>), loaded on first use.
/// All functions are reentrant given a handle per thread; <see cref="JpegDecoder"/> uses one handle per call.
/// </summary>
internal static unsafe class TurboJpegNative
{
    public const int TJPF_RGB = 0;
    public const int TJPF_GRAY = 6;
    public const int TJPF_CMYK = 11;

    public const int TJCS_RGB = 0;
    public const int TJCS_YCbCr = 1;
    public const int TJCS_GRAY = 2;
    public const int TJCS_CMYK = 3;
    public const int TJCS_YCCK = 4;

    public const int TJSAMP_GRAY = 3;

    /// <summary>Accurate integer IDCT (already the default; stated for clarity, it is libjpeg's JDCT_ISLOW as PIL uses).</summary>
    public const int TJFLAG_ACCURATEDCT = 4096;

    /// <summary>Refuse progressive JPEGs with more than 500 scans (a CPU denial-of-service guard).</summary>
    public const int TJFLAG_LIMITSCANS = 32768;

    public const int TJERR_WARNING = 0;
    public const int TJERR_FATAL = 1;

    private static readonly Lazy<Api> s_api = new(LoadApi, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The loaded entry points.</summary>
    public static Api Functions => s_api.Value;

    /// <summary>Whether libturbojpeg can be loaded on this machine.</summary>
    public static bool IsAvailable
    {
        get
        {
            try
            {
                _ = s_api.Value;
                return true;
            }
            catch (DllNotFoundException)
            {
                return false;
            }
            catch (EntryPointNotFoundException)
            {
                return false;
            }
        }
    }

    private static Api LoadApi()
    {
        NativeImageLibrary lib = NativeImageLibrary.Load(
            "libjpeg-turbo's TurboJPEG library",
            "Install libturbojpeg (Debian/Ubuntu: apt-get install libturbojpeg0; macOS: brew install jpeg-turbo; Windows: turbojpeg.dll from libjpeg-turbo on PATH).",
            "libturbojpeg.so.0", "libturbojpeg.so", "libturbojpeg.0.dylib", "libturbojpeg.dylib", "turbojpeg.dll", "turbojpeg");
        return new Api
        {
            InitDecompress = (delegate* unmanaged[Cdecl]<nint>)lib.Export("tjInitDecompress"),
            DecompressHeader3 = (delegate* unmanaged[Cdecl]<nint, byte*, CULong, int*, int*, int*, int*, int>)lib.Export("tjDecompressHeader3"),
            Decompress2 = (delegate* unmanaged[Cdecl]<nint, byte*, CULong, byte*, int, int, int, int, int, int>)lib.Export("tjDecompress2"),
            GetErrorStr2 = (delegate* unmanaged[Cdecl]<nint, byte*>)lib.Export("tjGetErrorStr2"),
            GetErrorCode = (delegate* unmanaged[Cdecl]<nint, int>)lib.Export("tjGetErrorCode"),
            Destroy = (delegate* unmanaged[Cdecl]<nint, int>)lib.Export("tjDestroy"),
        };
    }

    /// <summary>The last error message for <paramref name="handle"/>.</summary>
    public static string ErrorString(nint handle)
    {
        byte* s = Functions.GetErrorStr2(handle);
        return s == null ? "unknown TurboJPEG error" : Marshal.PtrToStringUTF8((nint)s) ?? "unknown TurboJPEG error";
    }

    /// <summary>TurboJPEG entry points.</summary>
    internal sealed class Api
    {
        /// <summary>tjhandle tjInitDecompress(void).</summary>
        public required delegate* unmanaged[Cdecl]<nint> InitDecompress { get; init; }

        /// <summary>int tjDecompressHeader3(handle, jpegBuf, unsigned long jpegSize, int* width, int* height, int* subsamp, int* colorspace).</summary>
        public required delegate* unmanaged[Cdecl]<nint, byte*, CULong, int*, int*, int*, int*, int> DecompressHeader3 { get; init; }

        /// <summary>int tjDecompress2(handle, jpegBuf, unsigned long jpegSize, dstBuf, width, pitch, height, pixelFormat, flags).</summary>
        public required delegate* unmanaged[Cdecl]<nint, byte*, CULong, byte*, int, int, int, int, int, int> Decompress2 { get; init; }

        /// <summary>char* tjGetErrorStr2(handle).</summary>
        public required delegate* unmanaged[Cdecl]<nint, byte*> GetErrorStr2 { get; init; }

        /// <summary>int tjGetErrorCode(handle).</summary>
        public required delegate* unmanaged[Cdecl]<nint, int> GetErrorCode { get; init; }

        /// <summary>int tjDestroy(handle).</summary>
        public required delegate* unmanaged[Cdecl]<nint, int> Destroy { get; init; }
    }
}
