using System.Buffers.Binary;
using System.Collections;
using System.Numerics;
using System.Text;

namespace InceptionNeXt.Training.Checkpoints;

/// <summary>
/// Writes a value tree as a protocol 2 pickle the way <c>torch.save</c> does, with tensors as
/// <c>torch._utils._rebuild_tensor_v2</c> calls whose storages are persistent ids; the storages are collected in
/// <see cref="Storages"/> in key order ("0", "1", ...).
/// </summary>
internal sealed class PickleWriter
{
    private const int BatchSize = 1000;
    private const int MaxDepth = 512;

    private readonly MemoryStream _out = new();
    private readonly Dictionary<TensorData, int> _storageKeys = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<object> _active = new(ReferenceEqualityComparer.Instance);

    public List<TensorData> Storages { get; } = [];

    public static (byte[] Pickle, List<TensorData> Storages) Pickle(object? tree)
    {
        var w = new PickleWriter();
        w._out.WriteByte(0x80); // PROTO 2
        w._out.WriteByte(2);
        w.Write(tree, 0);
        w._out.WriteByte((byte)'.'); // STOP
        return (w._out.ToArray(), w.Storages);
    }

    private void Op(byte op) => _out.WriteByte(op);

    private void Write(object? value, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ArgumentException($"Checkpoint tree is nested more than {MaxDepth} levels deep.");
        }

        switch (value)
        {
            case null:
                Op((byte)'N');
                return;
            case bool b:
                Op(b ? (byte)0x88 : (byte)0x89);
                return;
            case long l:
                WriteLong(l);
                return;
            case int or short or sbyte or byte or ushort or uint:
                WriteLong(Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                return;
            case ulong ul:
                WriteLong(ul <= long.MaxValue ? (long)ul : throw new ArgumentException($"Value {ul} does not fit in a signed 64-bit integer."));
                return;
            case double d:
                WriteDouble(d);
                return;
            case float f:
                WriteDouble(f);
                return;
            case Half h:
                WriteDouble((double)h);
                return;
            case string s:
                WriteString(s);
                return;
            case char c:
                WriteString(c.ToString());
                return;
            case byte[] bytes:
                WriteBytes(bytes);
                return;
            case TensorDType dt:
                WriteGlobal("torch", dt.ToTorchName());
                return;
            case TensorData t:
                WriteTensor(t);
                return;
        }

        if (!_active.Add(value))
        {
            throw new ArgumentException("Checkpoint tree contains a reference cycle; it cannot be pickled.");
        }

        try
        {
            switch (value)
            {
                case StateDict sd:
                    WriteGlobal("collections", "OrderedDict");
                    Op((byte)')');
                    Op((byte)'R');
                    WriteItems(sd.Select(kv => new KeyValuePair<object?, object?>(kv.Key, kv.Value)), depth);
                    return;
                case IDictionary dict:
                    Op((byte)'}');
                    WriteItems(Entries(dict), depth);
                    return;
                case object?[] tuple:
                    WriteTuple(tuple, depth);
                    return;
                case ISet<object?> set:
                    WriteGlobal("builtins", "set");
                    Op((byte)']');
                    WriteAppends(set, depth);
                    Op(0x85); // TUPLE1
                    Op((byte)'R');
                    return;
                case IEnumerable seq:
                    Op((byte)']');
                    WriteAppends(seq.Cast<object?>(), depth);
                    return;
            }
        }
        finally
        {
            _active.Remove(value);
        }

        throw new ArgumentException($"Cannot pickle a value of type {value.GetType().FullName}; supported: null, bool, integers, floating point, string, byte[], TensorData, TensorDType, StateDict, dictionaries, object?[] (tuple), sets and lists.");
    }

    private static IEnumerable<KeyValuePair<object?, object?>> Entries(IDictionary dict)
    {
        IDictionaryEnumerator e = dict.GetEnumerator();
        while (e.MoveNext())
        {
            yield return new KeyValuePair<object?, object?>(e.Key, e.Value);
        }
    }

    private void WriteItems(IEnumerable<KeyValuePair<object?, object?>> items, int depth)
    {
        int n = 0;
        foreach (KeyValuePair<object?, object?> kv in items)
        {
            if (n == 0)
            {
                Op((byte)'(');
            }

            Write(kv.Key, depth + 1);
            Write(kv.Value, depth + 1);
            if (++n == BatchSize)
            {
                Op((byte)'u'); // SETITEMS
                n = 0;
            }
        }

        if (n > 0)
        {
            Op((byte)'u');
        }
    }

    private void WriteAppends(IEnumerable<object?> items, int depth)
    {
        int n = 0;
        foreach (object? item in items)
        {
            if (n == 0)
            {
                Op((byte)'(');
            }

            Write(item, depth + 1);
            if (++n == BatchSize)
            {
                Op((byte)'e'); // APPENDS
                n = 0;
            }
        }

        if (n > 0)
        {
            Op((byte)'e');
        }
    }

    private void WriteTuple(IReadOnlyList<object?> items, int depth)
    {
        switch (items.Count)
        {
            case 0:
                Op((byte)')');
                return;
            case <= 3:
                foreach (object? item in items)
                {
                    Write(item, depth + 1);
                }

                Op((byte)(0x84 + items.Count)); // TUPLE1..3
                return;
            default:
                Op((byte)'(');
                foreach (object? item in items)
                {
                    Write(item, depth + 1);
                }

                Op((byte)'t');
                return;
        }
    }

    private void WriteLongTuple(long[] values)
    {
        var boxed = new object?[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            boxed[i] = values[i];
        }

        WriteTuple(boxed, 0);
    }

    private void WriteLong(long v)
    {
        Span<byte> buf = stackalloc byte[9];
        if (v is >= 0 and <= 0xFF)
        {
            Op((byte)'K');
            Op((byte)v);
        }
        else if (v is >= 0 and <= 0xFFFF)
        {
            Op((byte)'M');
            BinaryPrimitives.WriteUInt16LittleEndian(buf, (ushort)v);
            _out.Write(buf[..2]);
        }
        else if (v is >= int.MinValue and <= int.MaxValue)
        {
            Op((byte)'J');
            BinaryPrimitives.WriteInt32LittleEndian(buf, (int)v);
            _out.Write(buf[..4]);
        }
        else
        {
            byte[] bytes = new BigInteger(v).ToByteArray(); // minimal two's complement, little-endian
            Op(0x8a); // LONG1
            Op((byte)bytes.Length);
            _out.Write(bytes);
        }
    }

    private void WriteDouble(double d)
    {
        Span<byte> buf = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(buf, d);
        Op((byte)'G');
        _out.Write(buf);
    }

    private void WriteString(string s)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(s);
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)utf8.Length);
        Op((byte)'X'); // BINUNICODE
        _out.Write(len);
        _out.Write(utf8);
    }

    private void WriteGlobal(string module, string name)
    {
        Op((byte)'c');
        _out.Write(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));
    }

    private void WriteBytes(byte[] bytes)
    {
        // Protocol 2 has no bytes opcode; Python 3 pickles bytes as _codecs.encode(latin-1 text, 'latin1').
        if (bytes.Length == 0)
        {
            WriteGlobal("builtins", "bytes");
            Op((byte)')');
            Op((byte)'R');
            return;
        }

        WriteGlobal("_codecs", "encode");
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++)
        {
            chars[i] = (char)bytes[i];
        }

        WriteString(new string(chars));
        WriteString("latin1");
        Op(0x86); // TUPLE2
        Op((byte)'R');
    }

    private void WriteTensor(TensorData t)
    {
        if (!_storageKeys.TryGetValue(t, out int key))
        {
            key = Storages.Count;
            _storageKeys[t] = key;
            Storages.Add(t);
        }

        long[] stride = new long[t.Shape.Length];
        long s = 1;
        for (int i = t.Shape.Length - 1; i >= 0; i--)
        {
            stride[i] = s;
            s *= Math.Max(t.Shape[i], 1);
        }

        WriteGlobal("torch._utils", "_rebuild_tensor_v2");
        Op((byte)'(');

        // Persistent id: ('storage', torch.XStorage, key, 'cpu', numel)
        Op((byte)'(');
        WriteString("storage");
        WriteGlobal("torch", t.DType.ToTorchStorageName());
        WriteString(key.ToString(System.Globalization.CultureInfo.InvariantCulture));
        WriteString("cpu");
        WriteLong(t.Numel);
        Op((byte)'t');
        Op((byte)'Q'); // BINPERSID

        WriteLong(0); // storage offset
        WriteLongTuple(t.Shape);
        WriteLongTuple(stride);
        Op(0x89); // requires_grad = False
        WriteGlobal("collections", "OrderedDict"); // backward hooks
        Op((byte)')');
        Op((byte)'R');
        Op((byte)'t');
        Op((byte)'R');
    }
}
