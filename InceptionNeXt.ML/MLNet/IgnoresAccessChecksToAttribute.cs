namespace System.Runtime.CompilerServices;

/// <summary>
/// Tells the runtime to let this assembly use the internal members of the named assembly. The runtime recognises the
/// attribute by name but no library defines it, so every assembly that uses it declares its own copy.
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true)]
internal sealed class IgnoresAccessChecksToAttribute(string assemblyName) : Attribute
{
    /// <summary>The assembly whose internals this one uses.</summary>
    public string AssemblyName { get; } = assemblyName;
}
