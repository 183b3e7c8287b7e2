using System.Runtime.InteropServices;

namespace InceptionNeXt.ML.OnnxRuntime;

/// <summary>
/// The subset of ONNX Runtime's C API function table (<c>OrtApi</c>) this binding uses, read from the
/// table returned by <c>OrtGetApiBase()-&gt;GetApi(version)</c>.
/// </summary>
/// <remarks>
/// <c>OrtApi</c> is a struct of function pointers that only ever grows at the end, so a member's index
/// (its position in the struct) is stable across versions. The indices below were read from
/// <c>include/onnxruntime/core/session/onnxruntime_c_api.h</c> (ORT_API_VERSION 13, which already has
/// every member used here; the newest member used, <c>ReleaseCUDAProviderOptions</c>, dates from 1.11).
/// Opaque ORT objects are passed as <see cref="nint"/>; <c>size_t</c> as <see cref="nuint"/>; C enums as
/// <see cref="int"/>. Every function returning <c>OrtStatus*</c> returns <see cref="nint"/>: zero is success.
/// </remarks>
internal sealed unsafe class OrtApi
{
    /// <summary>The API version requested first (ONNX Runtime 1.30).</summary>
    internal const uint PreferredVersion = 30;

    /// <summary>The oldest API version whose table has every member used here.</summary>
    internal const uint MinimumVersion = 13;

    private static readonly object s_gate = new();
    private static OrtApi? s_instance;

    // OrtStatus
    internal readonly delegate* unmanaged[Cdecl]<int, byte*, nint> CreateStatus;                 // 0
    internal readonly delegate* unmanaged[Cdecl]<nint, int> GetErrorCode;                          // 1
    internal readonly delegate* unmanaged[Cdecl]<nint, byte*> GetErrorMessage;                     // 2
    internal readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseStatus;                        // 93

    // OrtEnv
    internal readonly delegate* unmanaged[Cdecl]<int, byte*, nint*, nint> CreateEnv;               // 3
    internal readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseEnv;                           // 92

    // OrtSession
    internal readonly delegate* unmanaged[Cdecl]<nint, void*, nint, nint*, nint> CreateSession;                    // 7
    internal readonly delegate* unmanaged[Cdecl]<nint, void*, nuint, nint, nint*, nint> CreateSessionFromArray;   // 8
    internal readonly delegate* unmanaged[Cdecl]<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint> Run; // 9
    internal readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> SessionGetInputCount;         // 30
    internal readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> SessionGetOutputCount;        // 31
    internal readonly delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint> SessionGetInputTypeInfo;  // 33
    internal readonly delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint> SessionGetOutputTypeInfo; // 34
    internal readonly delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint> SessionGetInputName;  // 36
    internal readonly delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint> SessionGetOutputName; // 37
    internal readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseSession;                       // 95

    // OrtSessionOptions
    internal readonly delegate* unmanaged[Cdecl]<nint*, nint> CreateSessionOptions;                // 10
    internal readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetSessionExecutionMode;         // 13
    internal readonly delegate* unmanaged[Cdecl]<nint, nint> EnableCpuMemArena;                    // 18
    internal readonly delegate* unmanaged[Cdecl]<nint, nint> DisableCpuMemArena;                   // 19
    internal readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetSessionGraphOptimizationLevel; // 23
    internal readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetIntraOpNumThreads;            // 24
    internal readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetInterOpNumThreads;            // 25
    internal readonly delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint> AddSessionConfigEntry;  // 130
    internal readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseSessionOptions;                // 100

    // OrtValue / tensors
    internal readonly delegate* unmanaged[Cdecl]<nint, void*, nuint, long*, nuint, int, nint*, nint> CreateTensorWithDataAsOrtValue; // 49
    internal readonly delegate* unmanaged[Cdecl]<nint, void**, nint> GetTensorMutableData;         // 51
    internal readonly delegate* unmanaged[Cdecl]<nint, nint*, nint> GetTensorTypeAndShape;         // 65
    internal readonly delegate* unmanaged[Cdecl]<nint, int*, nint> GetValueType;                   // 67
    internal readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseValue;                         // 96

    // OrtTypeInfo / OrtTensorTypeAndShapeInfo
    internal readonly delegate* unmanaged[Cdecl]<nint, nint*, nint> CastTypeInfoToTensorInfo;      // 55
    internal readonly delegate* unmanaged[Cdecl]<nint, int*, nint> GetOnnxTypeFromTypeInfo;        // 56
    internal readonly delegate* unmanaged[Cdecl]<nint, int*, nint> GetTensorElementType;           // 60
    internal readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> GetDimensionsCount;           // 61
    internal readonly delegate* unmanaged[Cdecl]<nint, long*, nuint, nint> GetDimensions;          // 62
    internal readonly delegate* unmanaged[Cdecl]<nint, byte**, nuint, nint> GetSymbolicDimensions; // 63
    internal readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> GetTensorShapeElementCount;   // 64
    internal readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseTypeInfo;                      // 98
    internal readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseTensorTypeAndShapeInfo;        // 99

    // OrtMemoryInfo / OrtAllocator
    internal readonly delegate* unmanaged[Cdecl]<int, int, nint*, nint> CreateCpuMemoryInfo;       // 69
    internal readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseMemoryInfo;                    // 94
    internal readonly delegate* unmanaged[Cdecl]<nint, void*, nint> AllocatorFree;                 // 76
    internal readonly delegate* unmanaged[Cdecl]<nint*, nint> GetAllocatorWithDefaultOptions;      // 78

    // OrtModelMetadata
    internal readonly delegate* unmanaged[Cdecl]<nint, nint*, nint> SessionGetModelMetadata;       // 111
    internal readonly delegate* unmanaged[Cdecl]<nint, nint, byte**, nint> ModelMetadataGetProducerName;  // 112
    internal readonly delegate* unmanaged[Cdecl]<nint, nint, byte**, nint> ModelMetadataGetGraphName;     // 113
    internal readonly delegate* unmanaged[Cdecl]<nint, nint, byte**, nint> ModelMetadataGetDomain;        // 114
    internal readonly delegate* unmanaged[Cdecl]<nint, nint, byte**, nint> ModelMetadataGetDescription;   // 115
    internal readonly delegate* unmanaged[Cdecl]<nint, nint, byte*, byte**, nint> ModelMetadataLookupCustomMetadataMap; // 116
    internal readonly delegate* unmanaged[Cdecl]<nint, long*, nint> ModelMetadataGetVersion;       // 117
    internal readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseModelMetadata;                 // 118
    internal readonly delegate* unmanaged[Cdecl]<nint, nint, byte***, long*, nint> ModelMetadataGetCustomMetadataMapKeys; // 123
    internal readonly delegate* unmanaged[Cdecl]<nint, nint, byte**, nint> ModelMetadataGetGraphDescription; // 158

    // Execution providers
    internal readonly delegate* unmanaged[Cdecl]<byte***, int*, nint> GetAvailableProviders;       // 125
    internal readonly delegate* unmanaged[Cdecl]<byte**, int, nint> ReleaseAvailableProviders;     // 126
    internal readonly delegate* unmanaged[Cdecl]<nint, nint, nint> SessionOptionsAppendExecutionProvider_CUDA_V2; // 204
    internal readonly delegate* unmanaged[Cdecl]<nint*, nint> CreateCUDAProviderOptions;           // 205
    internal readonly delegate* unmanaged[Cdecl]<nint, byte**, byte**, nuint, nint> UpdateCUDAProviderOptions; // 206
    internal readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseCUDAProviderOptions;           // 208

    private OrtApi(nint* table, uint version, string runtimeVersion, string libraryPath)
    {
        Version = version;
        RuntimeVersion = runtimeVersion;
        LibraryPath = libraryPath;

        CreateStatus = (delegate* unmanaged[Cdecl]<int, byte*, nint>)table[0];
        GetErrorCode = (delegate* unmanaged[Cdecl]<nint, int>)table[1];
        GetErrorMessage = (delegate* unmanaged[Cdecl]<nint, byte*>)table[2];
        CreateEnv = (delegate* unmanaged[Cdecl]<int, byte*, nint*, nint>)table[3];
        CreateSession = (delegate* unmanaged[Cdecl]<nint, void*, nint, nint*, nint>)table[7];
        CreateSessionFromArray = (delegate* unmanaged[Cdecl]<nint, void*, nuint, nint, nint*, nint>)table[8];
        Run = (delegate* unmanaged[Cdecl]<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint>)table[9];
        CreateSessionOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)table[10];
        SetSessionExecutionMode = (delegate* unmanaged[Cdecl]<nint, int, nint>)table[13];
        EnableCpuMemArena = (delegate* unmanaged[Cdecl]<nint, nint>)table[18];
        DisableCpuMemArena = (delegate* unmanaged[Cdecl]<nint, nint>)table[19];
        SetSessionGraphOptimizationLevel = (delegate* unmanaged[Cdecl]<nint, int, nint>)table[23];
        SetIntraOpNumThreads = (delegate* unmanaged[Cdecl]<nint, int, nint>)table[24];
        SetInterOpNumThreads = (delegate* unmanaged[Cdecl]<nint, int, nint>)table[25];
        AddSessionConfigEntry = (delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint>)table[130];
        SessionGetInputCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)table[30];
        SessionGetOutputCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)table[31];
        SessionGetInputTypeInfo = (delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint>)table[33];
        SessionGetOutputTypeInfo = (delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint>)table[34];
        SessionGetInputName = (delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint>)table[36];
        SessionGetOutputName = (delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint>)table[37];
        CreateTensorWithDataAsOrtValue = (delegate* unmanaged[Cdecl]<nint, void*, nuint, long*, nuint, int, nint*, nint>)table[49];
        GetTensorMutableData = (delegate* unmanaged[Cdecl]<nint, void**, nint>)table[51];
        CastTypeInfoToTensorInfo = (delegate* unmanaged[Cdecl]<nint, nint*, nint>)table[55];
        GetOnnxTypeFromTypeInfo = (delegate* unmanaged[Cdecl]<nint, int*, nint>)table[56];
        GetTensorElementType = (delegate* unmanaged[Cdecl]<nint, int*, nint>)table[60];
        GetDimensionsCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)table[61];
        GetDimensions = (delegate* unmanaged[Cdecl]<nint, long*, nuint, nint>)table[62];
        GetSymbolicDimensions = (delegate* unmanaged[Cdecl]<nint, byte**, nuint, nint>)table[63];
        GetTensorShapeElementCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)table[64];
        GetTensorTypeAndShape = (delegate* unmanaged[Cdecl]<nint, nint*, nint>)table[65];
        GetValueType = (delegate* unmanaged[Cdecl]<nint, int*, nint>)table[67];
        CreateCpuMemoryInfo = (delegate* unmanaged[Cdecl]<int, int, nint*, nint>)table[69];
        AllocatorFree = (delegate* unmanaged[Cdecl]<nint, void*, nint>)table[76];
        GetAllocatorWithDefaultOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)table[78];
        ReleaseEnv = (delegate* unmanaged[Cdecl]<nint, void>)table[92];
        ReleaseStatus = (delegate* unmanaged[Cdecl]<nint, void>)table[93];
        ReleaseMemoryInfo = (delegate* unmanaged[Cdecl]<nint, void>)table[94];
        ReleaseSession = (delegate* unmanaged[Cdecl]<nint, void>)table[95];
        ReleaseValue = (delegate* unmanaged[Cdecl]<nint, void>)table[96];
        ReleaseTypeInfo = (delegate* unmanaged[Cdecl]<nint, void>)table[98];
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged[Cdecl]<nint, void>)table[99];
        ReleaseSessionOptions = (delegate* unmanaged[Cdecl]<nint, void>)table[100];
        SessionGetModelMetadata = (delegate* unmanaged[Cdecl]<nint, nint*, nint>)table[111];
        ModelMetadataGetProducerName = (delegate* unmanaged[Cdecl]<nint, nint, byte**, nint>)table[112];
        ModelMetadataGetGraphName = (delegate* unmanaged[Cdecl]<nint, nint, byte**, nint>)table[113];
        ModelMetadataGetDomain = (delegate* unmanaged[Cdecl]<nint, nint, byte**, nint>)table[114];
        ModelMetadataGetDescription = (delegate* unmanaged[Cdecl]<nint, nint, byte**, nint>)table[115];
        ModelMetadataLookupCustomMetadataMap = (delegate* unmanaged[Cdecl]<nint, nint, byte*, byte**, nint>)table[116];
        ModelMetadataGetVersion = (delegate* unmanaged[Cdecl]<nint, long*, nint>)table[117];
        ReleaseModelMetadata = (delegate* unmanaged[Cdecl]<nint, void>)table[118];
        ModelMetadataGetCustomMetadataMapKeys = (delegate* unmanaged[Cdecl]<nint, nint, byte***, long*, nint>)table[123];
        GetAvailableProviders = (delegate* unmanaged[Cdecl]<byte***, int*, nint>)table[125];
        ReleaseAvailableProviders = (delegate* unmanaged[Cdecl]<byte**, int, nint>)table[126];
        ModelMetadataGetGraphDescription = (delegate* unmanaged[Cdecl]<nint, nint, byte**, nint>)table[158];
        SessionOptionsAppendExecutionProvider_CUDA_V2 = (delegate* unmanaged[Cdecl]<nint, nint, nint>)table[204];
        CreateCUDAProviderOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)table[205];
        UpdateCUDAProviderOptions = (delegate* unmanaged[Cdecl]<nint, byte**, byte**, nuint, nint>)table[206];
        ReleaseCUDAProviderOptions = (delegate* unmanaged[Cdecl]<nint, void>)table[208];

        nint allocator;
        Check(GetAllocatorWithDefaultOptions(&allocator));
        DefaultAllocator = allocator;
    }

    /// <summary>The API version whose table is in use (30 unless the runtime is older).</summary>
    internal uint Version { get; }

    /// <summary>The runtime's version string, e.g. "1.30.0".</summary>
    internal string RuntimeVersion { get; }

    /// <summary>The file (or name) the native library was loaded from.</summary>
    internal string LibraryPath { get; }

    /// <summary>ONNX Runtime's default CPU allocator (process lifetime; never freed).</summary>
    internal readonly nint DefaultAllocator;

    /// <summary>The function table, loading the native library on first use.</summary>
    /// <exception cref="DllNotFoundException">The library could not be found or loaded.</exception>
    /// <exception cref="EntryPointNotFoundException">The library has no usable <c>OrtApi</c>.</exception>
    internal static OrtApi Instance
    {
        get
        {
            OrtApi? api = Volatile.Read(ref s_instance);
            if (api is not null)
            {
                return api;
            }

            lock (s_gate)
            {
                s_instance ??= Create();
                return s_instance;
            }
        }
    }

    private static OrtApi Create()
    {
        (nint library, string path) = OrtNativeLibrary.Load();
        var getApiBase = (delegate* unmanaged[Cdecl]<nint*>)OrtNativeLibrary.GetExport(library, "OrtGetApiBase");
        nint* apiBase = getApiBase();
        if (apiBase is null)
        {
            throw new EntryPointNotFoundException($"OrtGetApiBase() in '{path}' returned null.");
        }

        // struct OrtApiBase { const OrtApi* (*GetApi)(uint32_t); const char* (*GetVersionString)(void); }
        var getApi = (delegate* unmanaged[Cdecl]<uint, nint*>)apiBase[0];
        var getVersionString = (delegate* unmanaged[Cdecl]<byte*>)apiBase[1];
        string runtimeVersion = Marshal.PtrToStringUTF8((nint)getVersionString()) ?? "unknown";
        for (uint version = PreferredVersion; version >= MinimumVersion; version--)
        {
            nint* table = getApi(version);
            if (table is not null)
            {
                var api = new OrtApi(table, version, runtimeVersion, path);
                api.SelfTest();
                return api;
            }
        }

        throw new EntryPointNotFoundException(
            $"The ONNX Runtime library '{path}' (version {runtimeVersion}) supports none of the C API versions " +
            $"{MinimumVersion}..{PreferredVersion}; this binding targets ONNX Runtime {OrtNativeLibrary.TargetVersion} " +
            $"(set {OrtNativeLibrary.PathVariable} or run scripts/setup.sh).");
    }

    /// <summary>Round-trips a status through CreateStatus/GetErrorCode/GetErrorMessage/ReleaseStatus to catch a misread table early.</summary>
    private void SelfTest()
    {
        ReadOnlySpan<byte> probe = "inceptionnext-probe\0"u8;
        nint status;
        fixed (byte* p = probe)
        {
            status = CreateStatus((int)OrtErrorCode.InvalidArgument, p);
        }

        int code = GetErrorCode(status);
        string? message = Marshal.PtrToStringUTF8((nint)GetErrorMessage(status));
        ReleaseStatus(status);
        if (code != (int)OrtErrorCode.InvalidArgument || message != "inceptionnext-probe")
        {
            throw new EntryPointNotFoundException(
                $"The ONNX Runtime C API table of '{LibraryPath}' (version {RuntimeVersion}, API {Version}) does not have the expected layout.");
        }
    }

    /// <summary>Throws <see cref="OnnxRuntimeException"/> for a non-null status (and releases it).</summary>
    internal void Check(nint status)
    {
        if (status != 0)
        {
            throw ToException(status, null);
        }
    }

    /// <summary>Throws <see cref="OnnxRuntimeException"/> for a non-null status, prefixing <paramref name="context"/> to ORT's message.</summary>
    internal void Check(nint status, string context)
    {
        if (status != 0)
        {
            throw ToException(status, context);
        }
    }

    /// <summary>Converts (and releases) a non-null status.</summary>
    internal OnnxRuntimeException ToException(nint status, string? context)
    {
        var code = (OrtErrorCode)GetErrorCode(status);
        string message = Marshal.PtrToStringUTF8((nint)GetErrorMessage(status)) ?? "(no message)";
        ReleaseStatus(status);
        return context is null
            ? new OnnxRuntimeException(code, message)
            : new OnnxRuntimeException(code, $"{context}: {message}", message, null);
    }

    /// <summary>Copies a string allocated by <see cref="DefaultAllocator"/> and frees it; null stays null.</summary>
    internal string? TakeAllocatedString(byte* value)
    {
        if (value is null)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8((nint)value);
        }
        finally
        {
            _ = AllocatorFree(DefaultAllocator, value);
        }
    }
}
