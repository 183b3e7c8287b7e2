using System.Reflection;
using InceptionNeXt.ML.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace InceptionNeXt.Tests.MLNet;

/// <summary>
/// InceptionNeXt.ML compiles against publicized copies of ML.NET's assemblies and calls members ML.NET keeps internal.
/// These checks look for each of them in the ML.NET the tests run on and fail with the list of what moved, so a new
/// ML.NET version shows here first rather than as a MissingMethodException in a user's application.
/// </summary>
[TestClass]
public sealed class MLNetInternalsCanaryTests
{
    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static;

    private static readonly Assembly Core = typeof(ModelSaveContext).Assembly;
    private static readonly Assembly Data = typeof(MLContext).Assembly;

    [TestMethod]
    public void MLNetIsTheVersionTheInternalsWereCheckedAgainst()
    {
        foreach (var assembly in new[] { Core, Data })
        {
            var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "?";
            Assert.IsTrue(version.StartsWith("5.0.1", StringComparison.Ordinal),
                $"{assembly.GetName().Name} is {version}, but InceptionNeXt.ML uses ML.NET internals checked against 5.0.1 only. " +
                "Keep Microsoft.ML pinned to [5.0.1] in InceptionNeXt.ML.csproj, or check every member in this test class against the new version first.");
        }
    }

    [TestMethod]
    public void EveryInternalMemberInceptionNeXtUsesIsStillThere()
    {
        var missing = new List<string>();
        void Method(Type type, string name, params Type[] parameters)
        {
            if (type.GetMethod(name, All, null, parameters, null) is null)
                missing.Add($"{type.FullName}.{name}({string.Join(", ", parameters.Select(p => p.Name))})");
        }
        void Constructor(Type type, params Type[] parameters)
        {
            if (type.GetConstructor(All, null, parameters, null) is null)
                missing.Add($"{type.FullName}({string.Join(", ", parameters.Select(p => p.Name))})");
        }
        void Member(Type type, string name, Type valueType)
        {
            var found = type.GetProperty(name, All)?.PropertyType ?? type.GetField(name, All)?.FieldType;
            if (found != valueType) missing.Add($"{type.FullName}.{name} of type {valueType.Name} (found {found?.Name ?? "nothing"})");
        }
        Type? Find(Assembly assembly, string name)
        {
            var type = assembly.GetType(name);
            if (type is null) missing.Add($"type {name} in {assembly.GetName().Name}");
            return type;
        }

        // The test project compiles against ML.NET's real (not publicized) assemblies, so internal types are found by name.
        var versionInfo = Find(Core, "Microsoft.ML.VersionInfo");
        var save = typeof(ModelSaveContext);
        Member(save, "Writer", typeof(BinaryWriter));
        Method(save, "CheckAtModel");
        if (versionInfo is not null) Method(save, "SetVersionInfo", versionInfo);
        Method(save, "SaveBinaryStream", typeof(string), typeof(Action<BinaryWriter>));
        Method(save, "SaveNonEmptyString", typeof(string));
        Method(save, "SaveStringOrNull", typeof(string));

        if (Find(Core, "Microsoft.ML.ModelLoadContext") is { } load)
        {
            Member(load, "Reader", typeof(BinaryReader));
            if (versionInfo is not null) Method(load, "CheckAtModel", versionInfo);
            Method(load, "TryLoadBinaryStream", typeof(string), typeof(Action<BinaryReader>));
            Method(load, "LoadNonEmptyString");
            Method(load, "LoadStringOrNull");
        }

        if (versionInfo is not null) Constructor(versionInfo, typeof(string), typeof(uint), typeof(uint), typeof(uint), typeof(string), typeof(string), typeof(string));
        if (Find(Core, "Microsoft.ML.LoadableClassAttribute") is { } loadable)
            Constructor(loadable, typeof(Type), typeof(Type), typeof(Type), typeof(string), typeof(string[]));
        Find(Core, "Microsoft.ML.SignatureLoadModel");
        if (Find(Core, "Microsoft.ML.Runtime.IHostEnvironmentInternal") is { } internalEnvironment)
        {
            Member(internalEnvironment, "GpuDeviceId", typeof(int?));
            Member(internalEnvironment, "FallbackToCpu", typeof(bool));
        }
        if (Find(Data, "Microsoft.ML.Data.CatalogUtils") is { } catalogUtils) Method(catalogUtils, "GetEnvironment", typeof(TransformsCatalog));
        Constructor(typeof(SchemaShape.Column), typeof(string), typeof(SchemaShape.Column.VectorKind), typeof(DataViewType), typeof(bool), typeof(SchemaShape));
        // (AnnotationUtils' score kinds are constants: compiled into InceptionNeXt.ML, so they cannot go missing at run time.)

        Assert.IsEmpty(missing,
            "ML.NET internals used by InceptionNeXt.ML (MLNet/*.cs) have moved or changed:\n  " + string.Join("\n  ", missing) +
            "\nInceptionNeXt.ML is built for Microsoft.ML 5.0.1 exactly; adapt InceptionNeXt.ML/MLNet to the new members before moving the pin.");
    }

    [TestMethod]
    public void TheRuntimeHonoursIgnoresAccessChecksTo()
    {
        // The attributes are there, and an internal member really is callable: ModelSaveContext.Writer is internal in 5.0.1.
        var names = typeof(InceptionNeXtFeaturizingTransformer).Assembly.GetCustomAttributesData()
            .Where(a => a.AttributeType.Name == "IgnoresAccessChecksToAttribute").Select(a => (string)a.ConstructorArguments[0].Value!).ToArray();
        CollectionAssert.AreEquivalent(new[] { "Microsoft.ML.Core", "Microsoft.ML.Data" }, names);
        Assert.IsFalse(typeof(ModelSaveContext).GetProperty("Writer", All)?.GetMethod?.IsPublic ?? typeof(ModelSaveContext).GetField("Writer", All)!.IsPublic,
            "the runtime assembly must be ML.NET's own, not the publicized reference copy");
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(new[] { new ImagePathRow { ImagePath = MLNetFixture.Images[1] } });
        var model = ml.Transforms.FeaturizeImagesWithInceptionNeXt("Features", "ImagePath", MLNetFixture.ModelPath).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        Assert.IsInstanceOfType<InceptionNeXtFeaturizingTransformer>(ml.Model.Load(stream, out _));
    }
}
