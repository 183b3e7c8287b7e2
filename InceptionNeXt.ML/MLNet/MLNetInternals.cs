using System.Runtime.CompilerServices;

// ML.NET 5.0.1 keeps what a component needs to save and load itself (ModelSaveContext.Writer, ModelLoadContext,
// LoadableClassAttribute, VersionInfo, CatalogUtils) internal. We compile against publicized copies of these two assemblies
// (InceptionNeXt.ML.csproj, target InxPublicizeMLNetReferences) and these attributes make the runtime allow the calls.
// The package is pinned to exactly 5.0.1; MLNetInternalsCanaryTests fails when the members used here move.
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Core")]
[assembly: IgnoresAccessChecksTo("Microsoft.ML.Data")]
