using Mono.Cecil;
using Mono.Cecil.Cil;

namespace InceptionNeXt.TorchSharpKeepAlive;

/// <summary>
/// Inserts <c>GC.KeepAlive</c> of every reference-typed argument, <c>this</c> and local before each <c>ret</c> of the
/// methods that call native code directly.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 calls libtorch with the handles of its managed wrappers (<c>THSTensor_add_scalar_(Handle,
/// scalar.Handle, alpha.Handle)</c>) and never keeps the wrappers alive across the call. The JIT ends a reference's
/// lifetime at its last use, so when another thread starts a garbage collection during the call, the finalizer of a
/// <c>Scalar</c> made by an implicit conversion (every <c>t.add_(1)</c>, every <c>a + b</c>, each optimizer step) can free
/// the native scalar while libtorch reads it: a crash, an error from libtorch, or a silently wrong value. Keeping the
/// arguments and locals alive to the end of such methods closes that window for everything the method receives or makes.
/// </remarks>
public static class KeepAlivePatch
{
    /// <summary>The name of the type added to a patched module, so that a second run can tell.</summary>
    public const string MarkerType = "<InceptionNeXt>KeepAlivePatched";

    /// <summary>Whether <paramref name="module"/> was already patched.</summary>
    public static bool IsPatched(ModuleDefinition module) => module.Types.Any(t => t.Name == MarkerType);

    /// <summary>Patches <paramref name="module"/> in place; returns how many methods changed.</summary>
    public static int Apply(ModuleDefinition module)
    {
        if (IsPatched(module)) return 0;
        var keepAlive = KeepAliveReference(module);
        var changed = 0;
        foreach (var type in AllTypes(module.Types).ToList())
            foreach (var method in type.Methods)
                if (method.HasBody && CallsNativeCode(method) && Patch(method, keepAlive))
                    changed++;
        module.Types.Add(new TypeDefinition("", MarkerType, TypeAttributes.NotPublic | TypeAttributes.Abstract | TypeAttributes.Sealed, module.TypeSystem.Object));
        return changed;
    }

    private static IEnumerable<TypeDefinition> AllTypes(IEnumerable<TypeDefinition> types) =>
        types.SelectMany(t => new[] { t }.Concat(AllTypes(t.NestedTypes)));

    private static bool CallsNativeCode(MethodDefinition method) =>
        method.Body.Instructions.Any(i => (i.OpCode == OpCodes.Call || i.OpCode == OpCodes.Callvirt) && i.Operand is MethodReference r && IsNative(r));

    private static bool IsNative(MethodReference reference)
    {
        // P/Invokes of the module itself (TorchSharp's NativeMethods), and delegates' Invoke of native function pointers.
        if (reference is MethodDefinition d) return d.IsPInvokeImpl;
        try
        {
            return reference.Resolve() is { IsPInvokeImpl: true };
        }
        catch (AssemblyResolutionException)
        {
            return false;
        }
    }

    // System.GC.KeepAlive(object), referenced through the assembly that defines System.Object for this module
    // (System.Runtime or netstandard), not through this tool's own runtime.
    private static MethodReference KeepAliveReference(ModuleDefinition module)
    {
        var gc = new TypeReference("System", "GC", module, module.TypeSystem.CoreLibrary);
        var method = new MethodReference("KeepAlive", module.TypeSystem.Void, gc) { HasThis = false };
        method.Parameters.Add(new ParameterDefinition(module.TypeSystem.Object));
        return module.ImportReference(method);
    }

    private static bool Patch(MethodDefinition method, MethodReference keepAlive)
    {
        var body = method.Body;
        StoreTemporaries(method);
        var loads = new List<Func<Instruction>>();
        if (method.HasThis && !method.DeclaringType.IsValueType) loads.Add(() => Instruction.Create(OpCodes.Ldarg_0));
        foreach (var p in method.Parameters.Where(p => IsObjectReference(p.ParameterType)))
            loads.Add(() => Instruction.Create(OpCodes.Ldarg, p));
        foreach (var v in body.Variables.Where(v => !v.IsPinned && IsObjectReference(v.VariableType)))
            loads.Add(() => Instruction.Create(OpCodes.Ldloc, v));
        if (loads.Count == 0) return false;

        var il = body.GetILProcessor();
        foreach (var ret in body.Instructions.Where(i => i.OpCode == OpCodes.Ret).ToList())
        {
            // The ret itself becomes the first load, so that branches to it and handler ends still lead into the sequence.
            var sequence = loads.SelectMany(load => new[] { load(), Instruction.Create(OpCodes.Call, keepAlive) }).ToList();
            ret.OpCode = sequence[0].OpCode;
            ret.Operand = sequence[0].Operand;
            var after = ret;
            foreach (var instruction in sequence.Skip(1).Append(Instruction.Create(OpCodes.Ret)))
            {
                il.InsertAfter(after, instruction);
                after = instruction;
            }
        }
        return true;
    }

    // An object made and used at once (x.ToScalar().Handle) lives only on the evaluation stack; a new local takes a copy
    // of it, so that it is kept alive like the others.
    private static void StoreTemporaries(MethodDefinition method)
    {
        var il = method.Body.GetILProcessor();
        foreach (var make in method.Body.Instructions.ToList())
        {
            if (make.Operand is not MethodReference made || make.Next?.Operand is not MethodReference { Name: "get_Handle" }) continue;
            if (made.ReturnType.IsValueType || !IsObjectReference(made.ReturnType)) continue;
            var temporary = new VariableDefinition(made.ReturnType);
            method.Body.Variables.Add(temporary);
            var dup = Instruction.Create(OpCodes.Dup);
            il.InsertAfter(make, dup);
            il.InsertAfter(dup, Instruction.Create(OpCodes.Stloc, temporary));
        }
    }

    // A reference to an object on the GC heap: classes, interfaces, arrays, delegates; not value types, pointers,
    // by-refs or open generic parameters (which may be value types).
    private static bool IsObjectReference(TypeReference type)
    {
        if (type.IsByReference || type.IsPointer || type.IsFunctionPointer || type.IsPinned || type.IsGenericParameter) return false;
        if (type.IsArray) return true;
        if (type is GenericInstanceType generic) return !generic.ElementType.IsValueType && !IsValueTypeResolved(generic.ElementType);
        return !type.IsValueType && !IsValueTypeResolved(type);
    }

    private static bool IsValueTypeResolved(TypeReference type)
    {
        if (type.IsPrimitive || type.MetadataType is MetadataType.Void or MetadataType.IntPtr or MetadataType.UIntPtr) return true;
        try
        {
            return type.Resolve() is { IsValueType: true } or { IsEnum: true };
        }
        catch (AssemblyResolutionException)
        {
            // A type of an assembly the resolver cannot find: TypeReference.IsValueType is then what the signature said.
            return type.IsValueType;
        }
    }
}
