using System;

namespace Wirefisher.Native.Abi;

/// <summary>Names the C struct (on a type) or field (on a field) in bpf/wirefisher.h that this mirrors.</summary>
[AttributeUsage(AttributeTargets.Struct | AttributeTargets.Field)]
public sealed class CFieldAttribute : Attribute
{
    public string Name { get; }
    public CFieldAttribute(string name) => Name = name;
}
