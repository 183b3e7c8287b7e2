namespace InceptionNeXt.ML.Pipelines.Data;

/// <summary>Names the column a property maps to (as ML.NET's <c>[ColumnName]</c>); by default the property name.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ColumnNameAttribute(string name) : Attribute
{
    /// <summary>The column name.</summary>
    public string Name { get; } = name;
}

/// <summary>Declares the length of a <c>float[]</c> property's vector column (as ML.NET's <c>[VectorType]</c>).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class VectorTypeAttribute(int size) : Attribute
{
    /// <summary>Vector length.</summary>
    public int Size { get; } = size;
}

/// <summary>Leaves a property out of the mapping.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class NoColumnAttribute : Attribute;
