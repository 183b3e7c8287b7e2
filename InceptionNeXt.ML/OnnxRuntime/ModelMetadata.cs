namespace InceptionNeXt.ML.OnnxRuntime;

/// <summary>Model-level metadata of an ONNX model (<c>OrtModelMetadata</c>), read once when the session is created.</summary>
public sealed class ModelMetadata
{
    private ModelMetadata(
        string producerName, string graphName, string graphDescription, string domain, string description, long version, IReadOnlyDictionary<string, string> customMetadata)
    {
        ProducerName = producerName;
        GraphName = graphName;
        GraphDescription = graphDescription;
        Domain = domain;
        Description = description;
        Version = version;
        CustomMetadata = customMetadata;
    }

    /// <summary>The tool that produced the model (ModelProto.producer_name).</summary>
    public string ProducerName { get; }

    /// <summary>The graph's name (GraphProto.name).</summary>
    public string GraphName { get; }

    /// <summary>The graph's doc string (GraphProto.doc_string).</summary>
    public string GraphDescription { get; }

    /// <summary>The model's domain (ModelProto.domain).</summary>
    public string Domain { get; }

    /// <summary>The model's doc string (ModelProto.doc_string).</summary>
    public string Description { get; }

    /// <summary>The model version (ModelProto.model_version).</summary>
    public long Version { get; }

    /// <summary>Custom key/value pairs (ModelProto.metadata_props), e.g. labels or preprocessing settings.</summary>
    public IReadOnlyDictionary<string, string> CustomMetadata { get; }

    private static unsafe string GetString(OrtApi api, nint metadata, delegate* unmanaged[Cdecl]<nint, nint, byte**, nint> getter)
    {
        byte* value;
        api.Check(getter(metadata, api.DefaultAllocator, &value), "Reading the model metadata failed");
        return api.TakeAllocatedString(value) ?? string.Empty;
    }

    /// <summary>Reads the metadata of a live session.</summary>
    internal static unsafe ModelMetadata Read(OrtApi api, nint session)
    {
        nint metadata;
        api.Check(api.SessionGetModelMetadata(session, &metadata), "Reading the model metadata failed");
        try
        {
            nint allocator = api.DefaultAllocator;
            string producer = GetString(api, metadata, api.ModelMetadataGetProducerName);
            string graphName = GetString(api, metadata, api.ModelMetadataGetGraphName);
            string graphDescription = GetString(api, metadata, api.ModelMetadataGetGraphDescription);
            string domain = GetString(api, metadata, api.ModelMetadataGetDomain);
            string description = GetString(api, metadata, api.ModelMetadataGetDescription);
            long version;
            api.Check(api.ModelMetadataGetVersion(metadata, &version));

            var custom = new Dictionary<string, string>(StringComparer.Ordinal);
            byte** keys;
            long count;
            api.Check(api.ModelMetadataGetCustomMetadataMapKeys(metadata, allocator, &keys, &count), "Reading the custom model metadata failed");
            if (keys is not null)
            {
                try
                {
                    for (long i = 0; i < count; i++)
                    {
                        byte* value;
                        api.Check(api.ModelMetadataLookupCustomMetadataMap(metadata, allocator, keys[i], &value));
                        string key = System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)keys[i]) ?? string.Empty;
                        custom[key] = api.TakeAllocatedString(value) ?? string.Empty;
                    }
                }
                finally
                {
                    for (long i = 0; i < count; i++)
                    {
                        _ = api.AllocatorFree(allocator, keys[i]);
                    }

                    _ = api.AllocatorFree(allocator, keys);
                }
            }

            return new ModelMetadata(producer, graphName, graphDescription, domain, description, version, custom.AsReadOnly());
        }
        finally
        {
            api.ReleaseModelMetadata(metadata);
        }
    }
}
