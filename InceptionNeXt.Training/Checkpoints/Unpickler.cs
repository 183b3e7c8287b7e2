using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Text;

namespace InceptionNeXt.Training.Checkpoints;

/// <summary>
/// A restricted pickle interpreter (opcodes of protocols 0-5) that never executes code: GLOBAL/STACK_GLOBAL only
/// resolve names on a fixed allow-list (tensor rebuilding, storages, OrderedDict, argparse.Namespace, numpy
/// scalars, ...) and REDUCE/NEWOBJ/BUILD are interpreted for those names only.
/// Values become: <see cref="Dictionary{TKey,TValue}"/> of string to object (dicts, OrderedDicts, Namespaces),
/// <see cref="List{T}"/> (lists), object?[] (tuples), <see cref="HashSet{T}"/> (sets), <see cref="TensorData"/>,
/// long, double, bool, string, byte[], <see cref="TensorDType"/> (torch dtypes) and null.
/// </summary>
internal sealed class Unpickler
{
    private const int HighestProtocol = 5;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly byte[] _data;
    private readonly string _file;
    private readonly Func<object?, TorchStorage> _persistentLoad;
    private readonly List<object?> _stack = [];
    private readonly List<int> _marks = [];
    private readonly Dictionary<long, object?> _memo = [];
    private readonly HashSet<object> _namespaces = new(ReferenceEqualityComparer.Instance);
    private int _pos;

    /// <param name="data">The pickle bytes.</param>
    /// <param name="file">Name used in error messages (file path, optionally with the record name).</param>
    /// <param name="persistentLoad">Resolves a persistent id (BINPERSID/PERSID) to a storage.</param>
    public Unpickler(byte[] data, string file, Func<object?, TorchStorage> persistentLoad)
    {
        _data = data;
        _file = file;
        _persistentLoad = persistentLoad;
    }

    /// <summary>A class or function reference produced by GLOBAL; only allow-listed names are ever created.</summary>
    private sealed record Global(string Module, string Name)
    {
        public string FullName => $"{Module}.{Name}";
    }

    /// <summary>numpy.dtype as needed to decode a numpy scalar.</summary>
    private sealed class NumpyDType(string code)
    {
        public string Code { get; } = code;

        public char ByteOrder { get; set; } = '<';
    }

    public object? Load()
    {
        while (true)
        {
            int opPos = _pos;
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: // PROTO
                    {
                        byte proto = ReadByte();
                        if (proto > HighestProtocol)
                        {
                            throw Error($"unsupported pickle protocol {proto}");
                        }

                        break;
                    }

                case 0x95: // FRAME
                    Take(8);
                    break;
                case (byte)'.': // STOP
                    {
                        object? result = Pop();
                        return result;
                    }

                case (byte)'(': // MARK
                    _marks.Add(_stack.Count);
                    break;
                case (byte)'0': // POP
                    if (_marks.Count > 0 && _marks[^1] == _stack.Count)
                    {
                        PopMark();
                    }
                    else
                    {
                        Pop();
                    }

                    break;
                case (byte)'1': // POP_MARK
                    PopMark();
                    break;
                case (byte)'2': // DUP
                    Push(Peek());
                    break;

                // Containers.
                case (byte)'}': // EMPTY_DICT
                    Push(new Dictionary<string, object?>());
                    break;
                case (byte)'d': // DICT
                    {
                        List<object?> items = PopMark();
                        var dict = new Dictionary<string, object?>();
                        SetItems(dict, items);
                        Push(dict);
                        break;
                    }

                case (byte)'s': // SETITEM
                    {
                        object? value = Pop();
                        object? key = Pop();
                        AsDict(Peek(), "SETITEM")[KeyToString(key)] = value;
                        break;
                    }

                case (byte)'u': // SETITEMS
                    {
                        List<object?> items = PopMark();
                        SetItems(AsDict(Peek(), "SETITEMS"), items);
                        break;
                    }

                case (byte)']': // EMPTY_LIST
                    Push(new List<object?>());
                    break;
                case (byte)'l': // LIST
                    Push(PopMark());
                    break;
                case (byte)'a': // APPEND
                    {
                        object? value = Pop();
                        AsList(Peek(), "APPEND").Add(value);
                        break;
                    }

                case (byte)'e': // APPENDS
                    {
                        List<object?> items = PopMark();
                        AsList(Peek(), "APPENDS").AddRange(items);
                        break;
                    }

                case (byte)')': // EMPTY_TUPLE
                    Push(Array.Empty<object?>());
                    break;
                case (byte)'t': // TUPLE
                    Push(PopMark().ToArray());
                    break;
                case 0x85: // TUPLE1
                    Push(new[] { Pop() });
                    break;
                case 0x86: // TUPLE2
                    {
                        object? b = Pop();
                        object? a = Pop();
                        Push(new[] { a, b });
                        break;
                    }

                case 0x87: // TUPLE3
                    {
                        object? c = Pop();
                        object? b = Pop();
                        object? a = Pop();
                        Push(new[] { a, b, c });
                        break;
                    }

                case 0x8f: // EMPTY_SET
                    Push(new HashSet<object?>());
                    break;
                case 0x90: // ADDITEMS
                    {
                        List<object?> items = PopMark();
                        if (Peek() is not HashSet<object?> set)
                        {
                            throw Error("ADDITEMS target is not a set");
                        }

                        foreach (object? item in items)
                        {
                            set.Add(item);
                        }

                        break;
                    }

                case 0x91: // FROZENSET
                    Push(new HashSet<object?>(PopMark()));
                    break;

                // Scalars.
                case (byte)'N':
                    Push(null);
                    break;
                case 0x88:
                    Push(true);
                    break;
                case 0x89:
                    Push(false);
                    break;
                case (byte)'I': // INT (text; "00"/"01" are booleans)
                    {
                        string line = ReadLine();
                        if (line == "00")
                        {
                            Push(false);
                        }
                        else if (line == "01")
                        {
                            Push(true);
                        }
                        else
                        {
                            Push(ParseLong(line));
                        }

                        break;
                    }

                case (byte)'J': // BININT
                    Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4)));
                    break;
                case (byte)'K': // BININT1
                    Push((long)ReadByte());
                    break;
                case (byte)'M': // BININT2
                    Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2)));
                    break;
                case (byte)'L': // LONG (text)
                    {
                        string line = ReadLine();
                        Push(ParseLong(line.EndsWith('L') ? line[..^1] : line));
                        break;
                    }

                case 0x8a: // LONG1
                    Push(DecodeLong(Take(ReadByte())));
                    break;
                case 0x8b: // LONG4
                    Push(DecodeLong(Take(ReadLength(4))));
                    break;
                case (byte)'G': // BINFLOAT (big-endian)
                    Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8)));
                    break;
                case (byte)'F': // FLOAT (text)
                    Push(ParseDouble(ReadLine()));
                    break;

                // Strings and bytes.
                case (byte)'X': // BINUNICODE
                    Push(DecodeUtf8(Take(ReadLength(4))));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    Push(DecodeUtf8(Take(ReadByte())));
                    break;
                case 0x8d: // BINUNICODE8
                    Push(DecodeUtf8(Take(ReadLength(8))));
                    break;
                case (byte)'V': // UNICODE (raw-unicode-escape, text)
                    Push(DecodeRawUnicodeEscape(ReadLineBytes()));
                    break;
                case (byte)'S': // STRING (quoted repr of a Python 2 str)
                    Push(DecodeUtf8(DecodeQuotedString(ReadLine())));
                    break;
                case (byte)'T': // BINSTRING
                    Push(DecodeUtf8(Take(ReadLength(4))));
                    break;
                case (byte)'U': // SHORT_BINSTRING
                    Push(DecodeUtf8(Take(ReadByte())));
                    break;
                case (byte)'B': // BINBYTES
                    Push(Take(ReadLength(4)).ToArray());
                    break;
                case (byte)'C': // SHORT_BINBYTES
                    Push(Take(ReadByte()).ToArray());
                    break;
                case 0x8e: // BINBYTES8
                    Push(Take(ReadLength(8)).ToArray());
                    break;
                case 0x96: // BYTEARRAY8
                    Push(Take(ReadLength(8)).ToArray());
                    break;

                // Memo.
                case (byte)'q': // BINPUT
                    _memo[ReadByte()] = Peek();
                    break;
                case (byte)'r': // LONG_BINPUT
                    _memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(4))] = Peek();
                    break;
                case (byte)'p': // PUT
                    _memo[ParseLong(ReadLine())] = Peek();
                    break;
                case 0x94: // MEMOIZE
                    _memo[_memo.Count] = Peek();
                    break;
                case (byte)'h': // BINGET
                    Push(MemoGet(ReadByte()));
                    break;
                case (byte)'j': // LONG_BINGET
                    Push(MemoGet(BinaryPrimitives.ReadUInt32LittleEndian(Take(4))));
                    break;
                case (byte)'g': // GET
                    Push(MemoGet(ParseLong(ReadLine())));
                    break;

                // Objects (allow-listed only).
                case (byte)'c': // GLOBAL
                    {
                        string module = ReadLine();
                        string name = ReadLine();
                        Push(ResolveGlobal(module, name));
                        break;
                    }

                case 0x93: // STACK_GLOBAL
                    {
                        object? name = Pop();
                        object? module = Pop();
                        if (module is not string m || name is not string n)
                        {
                            throw Error("STACK_GLOBAL needs two strings");
                        }

                        Push(ResolveGlobal(m, n));
                        break;
                    }

                case (byte)'R': // REDUCE
                    {
                        object? args = Pop();
                        object? callable = Pop();
                        Push(Call(callable, AsTuple(args, "REDUCE arguments")));
                        break;
                    }

                case 0x81: // NEWOBJ
                    {
                        object? args = Pop();
                        object? cls = Pop();
                        Push(NewObject(cls, AsTuple(args, "NEWOBJ arguments")));
                        break;
                    }

                case 0x92: // NEWOBJ_EX
                    {
                        Pop(); // kwargs
                        object? args = Pop();
                        object? cls = Pop();
                        Push(NewObject(cls, AsTuple(args, "NEWOBJ_EX arguments")));
                        break;
                    }

                case (byte)'b': // BUILD
                    {
                        object? state = Pop();
                        Build(Peek(), state);
                        break;
                    }

                case (byte)'Q': // BINPERSID
                    Push(_persistentLoad(Pop()));
                    break;
                case (byte)'P': // PERSID
                    Push(_persistentLoad(ReadLine()));
                    break;

                case (byte)'i': // INST
                case (byte)'o': // OBJ
                    throw Error($"refusing pickle opcode {(char)op} (INST/OBJ instantiate arbitrary classes); only tensors and plain containers are allowed");
                default:
                    throw Error($"unsupported or invalid pickle opcode 0x{op:x2} at offset {opPos}");
            }
        }
    }

    private InvalidDataException Error(string problem) => CheckpointErrors.Format(_file, problem);

    // ---- stack -------------------------------------------------------------------------------------------

    private void Push(object? value) => _stack.Add(value);

    private object? Pop()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks[^1] >= _stack.Count))
        {
            throw Error("malformed pickle: stack underflow");
        }

        object? value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Peek()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks[^1] >= _stack.Count))
        {
            throw Error("malformed pickle: stack underflow");
        }

        return _stack[^1];
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0)
        {
            throw Error("malformed pickle: MARK expected");
        }

        int mark = _marks[^1];
        _marks.RemoveAt(_marks.Count - 1);
        List<object?> items = _stack.GetRange(mark, _stack.Count - mark);
        _stack.RemoveRange(mark, _stack.Count - mark);
        return items;
    }

    private object? MemoGet(long index) =>
        _memo.TryGetValue(index, out object? value) ? value : throw Error($"malformed pickle: memo key {index} not found");

    // ---- raw reads -----------------------------------------------------------------------------------------

    private byte ReadByte()
    {
        if (_pos >= _data.Length)
        {
            throw Error($"pickle data is truncated (ended at byte {_data.Length} without a STOP opcode)");
        }

        return _data[_pos++];
    }

    private ReadOnlySpan<byte> Take(long count)
    {
        if (count < 0 || count > _data.Length - _pos)
        {
            throw Error($"pickle data is truncated (needed {count} bytes at offset {_pos}, {_data.Length - _pos} left)");
        }

        var span = new ReadOnlySpan<byte>(_data, _pos, (int)count);
        _pos += (int)count;
        return span;
    }

    private long ReadLength(int width)
    {
        ReadOnlySpan<byte> b = Take(width);
        long length = width == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(b) : (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(b), long.MaxValue);
        if (length > _data.Length - _pos)
        {
            throw Error($"pickle data is truncated (a {length}-byte item at offset {_pos} runs past the end)");
        }

        return length;
    }

    private ReadOnlySpan<byte> ReadLineBytes()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0)
        {
            throw Error("pickle data is truncated (missing end of line)");
        }

        var span = new ReadOnlySpan<byte>(_data, _pos, end - _pos);
        _pos = end + 1;
        return span;
    }

    private string ReadLine()
    {
        ReadOnlySpan<byte> line = ReadLineBytes();
        if (line.Length > 0 && line[^1] == '\r')
        {
            line = line[..^1];
        }

        return DecodeUtf8(line);
    }

    private string DecodeUtf8(ReadOnlySpan<byte> bytes)
    {
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw CheckpointErrors.Format(_file, "pickle contains a string that is not valid UTF-8", e);
        }
    }

    private long ParseLong(string text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v)
            ? v
            : throw Error($"pickle integer '{(text.Length > 40 ? text[..40] + "..." : text)}' is not a 64-bit integer");

    private double ParseDouble(string text)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "inf":
            case "+inf":
                return double.PositiveInfinity;
            case "-inf":
                return double.NegativeInfinity;
            case "nan":
            case "-nan":
                return double.NaN;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
            ? v
            : throw Error($"pickle float '{text}' is not a number");
    }

    private long DecodeLong(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0)
        {
            return 0;
        }

        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        if (value < long.MinValue || value > long.MaxValue)
        {
            throw Error("pickle integer does not fit in 64 bits");
        }

        return (long)value;
    }

    private static string DecodeRawUnicodeEscape(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder(bytes.Length);
        for (int i = 0; i < bytes.Length; i++)
        {
            byte b = bytes[i];
            if (b == '\\' && i + 1 < bytes.Length && (bytes[i + 1] == 'u' || bytes[i + 1] == 'U'))
            {
                int digits = bytes[i + 1] == 'u' ? 4 : 8;
                if (i + 2 + digits <= bytes.Length
                    && int.TryParse(Encoding.ASCII.GetString(bytes.Slice(i + 2, digits)), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int cp)
                    && cp >= 0 && cp <= 0x10FFFF)
                {
                    if (cp is >= 0xD800 and <= 0xDFFF)
                    {
                        sb.Append((char)cp);
                    }
                    else
                    {
                        sb.Append(char.ConvertFromUtf32(cp));
                    }

                    i += 1 + digits;
                    continue;
                }
            }

            sb.Append((char)b); // latin-1
        }

        return sb.ToString();
    }

    private byte[] DecodeQuotedString(string repr)
    {
        if (repr.Length < 2 || (repr[0] != '\'' && repr[0] != '"') || repr[^1] != repr[0])
        {
            throw Error("pickle STRING opcode argument is not a quoted string");
        }

        string body = repr[1..^1];
        var result = new List<byte>(body.Length);
        for (int i = 0; i < body.Length; i++)
        {
            char ch = body[i];
            if (ch != '\\' || i + 1 >= body.Length)
            {
                foreach (byte b in Encoding.UTF8.GetBytes(ch.ToString()))
                {
                    result.Add(b);
                }

                continue;
            }

            char next = body[++i];
            switch (next)
            {
                case 'n': result.Add((byte)'\n'); break;
                case 't': result.Add((byte)'\t'); break;
                case 'r': result.Add((byte)'\r'); break;
                case 'a': result.Add(7); break;
                case 'b': result.Add(8); break;
                case 'f': result.Add(12); break;
                case 'v': result.Add(11); break;
                case '0' or '1' or '2' or '3' or '4' or '5' or '6' or '7':
                    {
                        int value = 0;
                        int n = 0;
                        while (n < 3 && i < body.Length && body[i] is >= '0' and <= '7')
                        {
                            value = (value * 8) + (body[i] - '0');
                            i++;
                            n++;
                        }

                        i--;
                        result.Add((byte)value);
                        break;
                    }

                case 'x':
                    {
                        if (i + 2 >= body.Length || !byte.TryParse(body.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte hex))
                        {
                            throw Error("pickle STRING opcode has an invalid \\x escape");
                        }

                        result.Add(hex);
                        i += 2;
                        break;
                    }

                default:
                    // \\, \', \" and unknown escapes keep the character (unknown ones keep the backslash too, as Python does).
                    if (next is not ('\\' or '\'' or '"'))
                    {
                        result.Add((byte)'\\');
                    }

                    foreach (byte b in Encoding.UTF8.GetBytes(next.ToString()))
                    {
                        result.Add(b);
                    }

                    break;
            }
        }

        return [.. result];
    }

    // ---- conversions ---------------------------------------------------------------------------------------

    /// <summary>Dict keys become strings: str as is, int/float/bool/None as Python's str() prints them, tuples as "(a, b)".</summary>
    private static string KeyToString(object? key) => key switch
    {
        string s => s,
        null => "None",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        object?[] tuple => tuple.Length == 1 ? $"({KeyToString(tuple[0])},)" : $"({string.Join(", ", tuple.Select(KeyToString))})",
        byte[] bytes => Convert.ToHexString(bytes),
        TensorDType dt => "torch." + dt.ToTorchName(),
        _ => key.ToString() ?? string.Empty,
    };

    private void SetItems(Dictionary<string, object?> dict, List<object?> items)
    {
        if (items.Count % 2 != 0)
        {
            throw Error("malformed pickle: odd number of items for a dict");
        }

        for (int i = 0; i < items.Count; i += 2)
        {
            dict[KeyToString(items[i])] = items[i + 1];
        }
    }

    private Dictionary<string, object?> AsDict(object? value, string op) =>
        value as Dictionary<string, object?> ?? throw Error($"malformed pickle: {op} target is not a dict");

    private List<object?> AsList(object? value, string op) =>
        value as List<object?> ?? throw Error($"malformed pickle: {op} target is not a list");

    private object?[] AsTuple(object? value, string what) =>
        value as object?[] ?? throw Error($"malformed pickle: {what} are not a tuple");

    private long AsLong(object? value, string what) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw Error($"expected an integer for {what}, got {Describe(value)}"),
    };

    private long[] AsLongs(object? value, string what)
    {
        if (value is object?[] tuple)
        {
            return tuple.Select(v => AsLong(v, what)).ToArray();
        }

        if (value is List<object?> list)
        {
            return list.Select(v => AsLong(v, what)).ToArray();
        }

        throw Error($"expected a tuple of integers for {what}, got {Describe(value)}");
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        Global g => g.FullName,
        object?[] => "tuple",
        _ => value.GetType().Name,
    };

    // ---- globals -------------------------------------------------------------------------------------------

    private object ResolveGlobal(string module, string name)
    {
        // Python 2 / protocol <= 2 names are mapped like pickle's fix_imports does.
        module = module switch
        {
            "__builtin__" => "builtins",
            "copy_reg" => "copyreg",
            _ => module,
        };

        string full = $"{module}.{name}";
        switch (full)
        {
            case "collections.OrderedDict":
            case "torch._utils._rebuild_tensor_v2":
            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
            case "torch.UntypedStorage":
            case "torch._UntypedStorage":
            case "torch.storage.UntypedStorage":
            case "torch.storage._UntypedStorage":
            case "builtins.set":
            case "builtins.frozenset":
            case "builtins.bytes":
            case "builtins.bytearray":
            case "builtins.object":
            case "copyreg._reconstructor":
            case "argparse.Namespace":
            case "numpy.dtype":
            case "numpy.core.multiarray.scalar":
            case "numpy._core.multiarray.scalar":
            case "_codecs.encode":
                return new Global(module, name);
        }

        if (module == "torch" && TensorDTypeExtensions.TryParseTorchStorageName(name, out _))
        {
            return new Global(module, name);
        }

        if (module == "torch" && TensorDTypeExtensions.TryParseTorchName(name, out TensorDType dtype))
        {
            return dtype;
        }

        throw Error($"refusing to unpickle global '{full}'; only tensors and plain containers are allowed");
    }

    /// <summary>The dtype of a storage class named in a persistent id (torch.FloatStorage, torch.UntypedStorage, ...).</summary>
    public static bool TryGetStorageDType(object? storageType, out TensorDType dtype)
    {
        if (storageType is Global g)
        {
            if (g.Name is "UntypedStorage" or "_UntypedStorage")
            {
                dtype = TensorDType.UInt8;
                return true;
            }

            if (g.Module == "torch" && TensorDTypeExtensions.TryParseTorchStorageName(g.Name, out dtype))
            {
                return true;
            }
        }

        if (storageType is TensorDType d)
        {
            dtype = d;
            return true;
        }

        dtype = default;
        return false;
    }

    private object? Call(object? callable, object?[] args)
    {
        if (callable is not Global g)
        {
            throw Error($"malformed pickle: REDUCE on {Describe(callable)}, which is not callable");
        }

        switch (g.FullName)
        {
            case "collections.OrderedDict":
                {
                    var dict = new Dictionary<string, object?>();
                    if (args.Length > 0 && args[0] is List<object?> pairs)
                    {
                        foreach (object? pair in pairs)
                        {
                            object?[] kv = pair as object?[] ?? (pair as List<object?>)?.ToArray() ?? throw Error("OrderedDict argument is not a list of pairs");
                            if (kv.Length != 2)
                            {
                                throw Error("OrderedDict argument is not a list of pairs");
                            }

                            dict[KeyToString(kv[0])] = kv[1];
                        }
                    }

                    return dict;
                }

            case "torch._utils._rebuild_tensor_v2":
                {
                    if (args.Length < 4 || args[0] is not TorchStorage storage)
                    {
                        throw Error("_rebuild_tensor_v2 needs (storage, offset, size, stride, ...)");
                    }

                    return storage.View(AsLong(args[1], "storage offset"), AsLongs(args[2], "tensor size"), AsLongs(args[3], "tensor stride"), _file);
                }

            case "torch._utils._rebuild_parameter":
            case "torch._utils._rebuild_parameter_with_state":
                return args.Length > 0 && args[0] is TensorData t ? t : throw Error($"{g.Name} needs a tensor argument");

            case "builtins.set":
            case "builtins.frozenset":
                return args.Length == 0 ? new HashSet<object?>() : new HashSet<object?>(AsSequence(args[0]));

            case "builtins.bytes":
            case "builtins.bytearray":
                if (args.Length == 0)
                {
                    return Array.Empty<byte>();
                }

                if (args[0] is List<object?> ints)
                {
                    return ints.Select(v => (byte)AsLong(v, "bytes item")).ToArray();
                }

                if (args[0] is byte[] raw)
                {
                    return raw.ToArray();
                }

                if (args.Length == 2 && args[0] is string text && args[1] is string enc)
                {
                    return Encode(text, enc);
                }

                throw Error("unsupported bytes() arguments");

            case "_codecs.encode":
                if (args.Length >= 1 && args[0] is string s)
                {
                    return Encode(s, args.Length > 1 ? args[1] as string ?? "utf-8" : "utf-8");
                }

                throw Error("_codecs.encode needs a string");

            case "copyreg._reconstructor":
                if (args.Length >= 1 && args[0] is Global { FullName: "argparse.Namespace" })
                {
                    return NewNamespace();
                }

                throw Error($"copyreg._reconstructor of {(args.Length > 0 ? Describe(args[0]) : "nothing")} is not allowed");

            case "argparse.Namespace":
                return NewNamespace();

            case "numpy.dtype":
                if (args.Length >= 1 && args[0] is string code)
                {
                    return new NumpyDType(code);
                }

                throw Error("numpy.dtype needs a type code string");

            case "numpy.core.multiarray.scalar":
            case "numpy._core.multiarray.scalar":
                if (args.Length >= 2 && args[0] is NumpyDType dt && args[1] is byte[] bytes)
                {
                    return DecodeNumpyScalar(dt, bytes);
                }

                throw Error("numpy scalar needs (dtype, bytes)");
        }

        throw Error($"refusing to call global '{g.FullName}'; only tensors and plain containers are allowed");
    }

    private object NewObject(object? cls, object?[] args)
    {
        if (cls is Global { FullName: "argparse.Namespace" })
        {
            return NewNamespace();
        }

        if (cls is Global { FullName: "collections.OrderedDict" or "builtins.set" or "builtins.frozenset" } g)
        {
            return Call(g, args)!;
        }

        throw Error($"refusing to instantiate '{Describe(cls)}'; only tensors and plain containers are allowed");
    }

    private Dictionary<string, object?> NewNamespace()
    {
        var ns = new Dictionary<string, object?>();
        _namespaces.Add(ns);
        return ns;
    }

    private void Build(object? target, object? state)
    {
        switch (target)
        {
            case Dictionary<string, object?> dict when _namespaces.Contains(dict):
                {
                    // Namespace state is its __dict__, or (dict, slotstate).
                    object? attrs = state is object?[] { Length: 2 } pair ? pair[0] : state;
                    if (attrs is Dictionary<string, object?> values)
                    {
                        foreach (KeyValuePair<string, object?> kv in values)
                        {
                            dict[kv.Key] = kv.Value;
                        }
                    }
                    else if (attrs is not null)
                    {
                        throw Error("argparse.Namespace state is not a dict");
                    }

                    return;
                }

            case Dictionary<string, object?>:
            case TensorData:
            case HashSet<object?>:
                // e.g. OrderedDict._metadata of a module state dict, or tensor python attributes: ignored.
                return;
            case NumpyDType dt:
                if (state is object?[] { Length: > 1 } s && s[1] is string order && order.Length == 1)
                {
                    dt.ByteOrder = order[0];
                }

                return;
        }

        throw Error($"malformed pickle: BUILD on {Describe(target)} is not supported");
    }

    private IEnumerable<object?> AsSequence(object? value) => value switch
    {
        List<object?> list => list,
        object?[] tuple => tuple,
        HashSet<object?> set => set,
        _ => throw Error($"expected a sequence, got {Describe(value)}"),
    };

    private byte[] Encode(string text, string encoding)
    {
        switch (encoding.ToLowerInvariant().Replace('_', '-'))
        {
            case "latin1":
            case "latin-1":
            case "iso-8859-1":
                {
                    var bytes = new byte[text.Length];
                    for (int i = 0; i < text.Length; i++)
                    {
                        if (text[i] > 0xFF)
                        {
                            throw Error("latin-1 encoded bytes contain a character above U+00FF");
                        }

                        bytes[i] = (byte)text[i];
                    }

                    return bytes;
                }

            case "utf8":
            case "utf-8":
                return Encoding.UTF8.GetBytes(text);
            default:
                throw Error($"unsupported encoding '{encoding}' in _codecs.encode");
        }
    }

    private object DecodeNumpyScalar(NumpyDType dt, byte[] bytes)
    {
        string code = dt.Code;
        char order = dt.ByteOrder;
        if (code.Length > 1 && code[0] is '<' or '>' or '=' or '|')
        {
            order = code[0];
            code = code[1..];
        }

        byte[] b = order == '>' ? bytes.Reverse().ToArray() : bytes;
        object? result = (code, b.Length) switch
        {
            ("f8" or "float64", 8) => BinaryPrimitives.ReadDoubleLittleEndian(b),
            ("f4" or "float32", 4) => (double)BinaryPrimitives.ReadSingleLittleEndian(b),
            ("f2" or "float16", 2) => (double)BinaryPrimitives.ReadHalfLittleEndian(b),
            ("i8" or "int64", 8) => BinaryPrimitives.ReadInt64LittleEndian(b),
            ("i4" or "int32", 4) => (long)BinaryPrimitives.ReadInt32LittleEndian(b),
            ("i2" or "int16", 2) => (long)BinaryPrimitives.ReadInt16LittleEndian(b),
            ("i1" or "int8", 1) => (long)(sbyte)b[0],
            ("u8" or "uint64", 8) when BinaryPrimitives.ReadUInt64LittleEndian(b) <= long.MaxValue => (long)BinaryPrimitives.ReadUInt64LittleEndian(b),
            ("u4" or "uint32", 4) => (long)BinaryPrimitives.ReadUInt32LittleEndian(b),
            ("u2" or "uint16", 2) => (long)BinaryPrimitives.ReadUInt16LittleEndian(b),
            ("u1" or "uint8", 1) => (long)b[0],
            ("b1" or "bool", 1) => b[0] != 0,
            _ => null,
        };

        return result ?? throw Error($"unsupported numpy scalar dtype '{dt.Code}' with {bytes.Length} bytes");
    }
}
