using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Checkpoints;

namespace InceptionNeXt.Tests.Checkpoints;

[TestClass]
public sealed class SafeTensorsTests
{
    private static void AssertSame(StateDict expected, StateDict actual)
    {
        CollectionAssert.AreEqual(expected.Keys.ToArray(), actual.Keys.ToArray());
        foreach ((string name, TensorData t) in expected)
        {
            Assert.AreEqual(t.DType, actual[name].DType, name);
            CollectionAssert.AreEqual(t.Shape, actual[name].Shape, name);
            CollectionAssert.AreEqual(t.Data, actual[name].Data, name);
        }
    }

    [TestMethod]
    public void RoundTripsEveryDTypeAndMetadata()
    {
        using var tmp = new TempDir();
        StateDict sd = PthWriterTests.SampleStateDict();
        sd.Add("scalar", TensorData.FromFloat32([42f], []));
        sd.Metadata["format"] = "pt";
        sd.Metadata["note"] = "ünï \"quoted\"";
        string path = tmp.File("m.safetensors");
        SafeTensors.Write(path, sd);

        byte[] bytes = File.ReadAllBytes(path);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.AreEqual(0UL, headerLength % 8, "header padded to a multiple of 8");
        Assert.AreEqual((byte)'{', bytes[8]);

        StateDict back = SafeTensors.Read(path);
        AssertSame(sd, back);
        Assert.AreEqual("pt", back.Metadata["format"]);
        Assert.AreEqual("ünï \"quoted\"", back.Metadata["note"]);

        using var stream = new MemoryStream(bytes);
        AssertSame(sd, SafeTensors.Read(stream));
    }

    [TestMethod]
    public void ReadsSafeTensorsWrittenByHandInPython()
    {
        PythonRunner.RequirePython();
        using var tmp = new TempDir();
        string path = tmp.File("py.safetensors");
        const string script = """
            import json, struct, sys
            tensors = [('a', 'F32', [2, 2], struct.pack('<4f', 1, 2, 3, 4)),
                       ('b', 'I64', [], struct.pack('<q', -5)),
                       ('c', 'BF16', [2], struct.pack('<2H', 0x3fc0, 0xc010)),
                       ('d', 'F16', [1], struct.pack('<e', 0.5)),
                       ('e', 'BOOL', [3], bytes([1, 0, 1])),
                       ('z', 'F32', [0], b''),
                       ('f', 'F64', [1], struct.pack('<d', -0.125)),
                       ('u', 'U8', [2], bytes([7, 250]))]
            header = {'__metadata__': {'format': 'pt'}}
            off, data = 0, b''
            for n, dt, sh, b in tensors:
                header[n] = {'dtype': dt, 'shape': sh, 'data_offsets': [off, off + len(b)]}
                off += len(b); data += b
            h = json.dumps(header).encode()
            h += b' ' * ((8 - len(h) % 8) % 8)
            open(sys.argv[1], 'wb').write(struct.pack('<Q', len(h)) + h + data)
            """;
        PythonRunner.Run(script, path);
        StateDict sd = SafeTensors.Read(path);
        CollectionAssert.AreEqual(new[] { "a", "b", "c", "d", "e", "z", "f", "u" }, sd.Keys.ToArray());
        CollectionAssert.AreEqual(new[] { 1f, 2f, 3f, 4f }, sd["a"].ToFloat32());
        Assert.IsEmpty(sd["b"].Shape);
        Assert.AreEqual(-5L, sd["b"].ToInt64()[0]);
        CollectionAssert.AreEqual(new[] { 1.5f, -2.25f }, sd["c"].ToFloat32());
        CollectionAssert.AreEqual(new[] { 0.5f }, sd["d"].ToFloat32());
        CollectionAssert.AreEqual(new long[] { 1, 0, 1 }, sd["e"].ToInt64());
        Assert.AreEqual(0L, sd["z"].Numel);
        CollectionAssert.AreEqual(new[] { -0.125 }, sd["f"].ToFloat64());
        CollectionAssert.AreEqual(new long[] { 7, 250 }, sd["u"].ToInt64());
        Assert.AreEqual("pt", sd.Metadata["format"]);
        Assert.AreEqual(TensorDType.Float16, Checkpoint.LoadStateDict(path)["d"].DType);
    }

    [TestMethod]
    public void PythonParsesOurSafeTensorsByHand()
    {
        PythonRunner.RequirePython();
        using var tmp = new TempDir();
        var sd = new StateDict();
        sd.Add("w", TensorData.FromFloat32([1.5f, -2f, 3.25f, 0f, 5f, 6f], [2, 3]));
        sd.Add("h", TensorData.FromFloat16([(Half)0.25f, (Half)(-8f)], [2]));
        sd.Add("bf", TensorData.FromFloat32AsBFloat16([1.5f, -2.25f], [2]));
        sd.Add("n", TensorData.ScalarInt64(-7));
        sd.Add("m", TensorData.FromBool([true, false], [2]));
        sd.Add("e", TensorData.FromFloat32([], [3, 0]));
        sd.Metadata["format"] = "pt";
        string path = tmp.File("ours.safetensors");
        SafeTensors.Write(path, sd);
        const string script = """
            import json, struct, sys
            raw = open(sys.argv[1], 'rb').read()
            (n,) = struct.unpack('<Q', raw[:8])
            assert n % 8 == 0
            header = json.loads(raw[8:8 + n])
            buf = raw[8 + n:]
            fmt = {'F32': 'f', 'F16': 'e', 'I64': 'q', 'F64': 'd'}
            size = {'F32': 4, 'F16': 2, 'I64': 8, 'F64': 8, 'BF16': 2, 'BOOL': 1}
            out = {'__metadata__': header.pop('__metadata__'), 'order': list(header.keys())}
            end = 0
            for k, v in header.items():
                b, e = v['data_offsets']
                assert b == end, 'contiguous'
                end = e
                chunk = buf[b:e]
                count = (e - b) // size[v['dtype']]
                if v['dtype'] == 'BF16':
                    vals = [struct.unpack('<f', struct.pack('<I', x << 16))[0] for x in struct.unpack(f'<{count}H', chunk)]
                elif v['dtype'] == 'BOOL':
                    vals = [bool(x) for x in chunk]
                else:
                    vals = list(struct.unpack(f"<{count}{fmt[v['dtype']]}", chunk))
                out[k] = [v['dtype'], v['shape'], vals]
            assert end == len(buf)
            print(json.dumps(out, separators=(',', ':')))
            """;
        string json = PythonRunner.Run(script, path).Trim();
        Assert.AreEqual(
            "{\"__metadata__\":{\"format\":\"pt\"},\"order\":[\"w\",\"h\",\"bf\",\"n\",\"m\",\"e\"],"
            + "\"w\":[\"F32\",[2,3],[1.5,-2.0,3.25,0.0,5.0,6.0]],\"h\":[\"F16\",[2],[0.25,-8.0]],\"bf\":[\"BF16\",[2],[1.5,-2.25]],"
            + "\"n\":[\"I64\",[],[-7]],\"m\":[\"BOOL\",[2],[true,false]],\"e\":[\"F32\",[3,0],[]]}",
            json);
    }

    [TestMethod]
    public void TorchReadsOurSafeTensorsBytesAsTheSameTensors()
    {
        PythonRunner.RequireTorch();
        using var tmp = new TempDir();
        StateDict sd = PthWriterTests.SampleStateDict();
        string path = tmp.File("t.safetensors");
        SafeTensors.Write(path, sd);
        const string script = """
            import json, struct, sys, torch
            dt = {'F32': torch.float32, 'F16': torch.float16, 'BF16': torch.bfloat16, 'F64': torch.float64, 'I64': torch.int64,
                  'I32': torch.int32, 'I16': torch.int16, 'I8': torch.int8, 'U8': torch.uint8, 'BOOL': torch.bool}
            raw = bytearray(open(sys.argv[1], 'rb').read())
            (n,) = struct.unpack('<Q', raw[:8])
            header = json.loads(raw[8:8 + n]); header.pop('__metadata__', None)
            out = {}
            for k, v in header.items():
                b, e = v['data_offsets']
                t = torch.frombuffer(raw, dtype=dt[v['dtype']], offset=8 + n + b, count=(e - b) // torch.tensor([], dtype=dt[v['dtype']]).element_size()) if e > b else torch.empty(0, dtype=dt[v['dtype']])
                t = t.reshape(v['shape'])
                out[k] = t.double().flatten().tolist()
            print(json.dumps(out))
            """;
        using JsonDocument doc = JsonDocument.Parse(PythonRunner.Run(script, path));
        foreach ((string name, TensorData t) in sd)
        {
            CollectionAssert.AreEqual(t.ToFloat64(), doc.RootElement.GetProperty(name).EnumerateArray().Select(v => v.GetDouble()).ToArray(), name);
        }
    }

    private static string WriteRaw(TempDir tmp, string name, string header, byte[] data, ulong? claimedLength = null)
    {
        byte[] h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, claimedLength ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + h.Length);
        string path = tmp.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void AssertInvalid(string path, params string[] fragments)
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => SafeTensors.Read(path));
        StringAssert.StartsWith(e.Message, path);
        foreach (string f in fragments)
        {
            StringAssert.Contains(e.Message, f);
        }
    }

    [TestMethod]
    public void RejectsMalformedHeaders()
    {
        using var tmp = new TempDir();
        AssertInvalid(WriteRaw(tmp, "huge.safetensors", "{}", [], claimedLength: 1UL << 62), "header length");
        AssertInvalid(WriteRaw(tmp, "max.safetensors", "{}", [], claimedLength: ulong.MaxValue), "header length");
        AssertInvalid(WriteRaw(tmp, "json.safetensors", "{\"a\": [", new byte[8]), "JSON");
        AssertInvalid(WriteRaw(tmp, "notobj.safetensors", "[1, 2]  ", []), "not a JSON object");
        AssertInvalid(WriteRaw(tmp, "dtype.safetensors", "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[1]), "F8_E4M3");
        AssertInvalid(WriteRaw(tmp, "past.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]), "'a'", "past the end");
        AssertInvalid(WriteRaw(tmp, "size.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]), "'a'", "needs 12 bytes");
        AssertInvalid(
            WriteRaw(tmp, "overlap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]),
            "overlap");
        AssertInvalid(WriteRaw(tmp, "neg.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", []), "shape");
        AssertInvalid(WriteRaw(tmp, "bigshape.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", new byte[8]), "'a'");
        AssertInvalid(WriteRaw(tmp, "offsets.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"0\",4]}}", new byte[4]), "data_offsets");
        AssertInvalid(WriteRaw(tmp, "dup.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", new byte[2]), "twice");
        AssertInvalid(WriteRaw(tmp, "meta.safetensors", "{\"__metadata__\":{\"k\":1}}", []), "metadata");

        string shortFile = tmp.File("short.safetensors");
        File.WriteAllBytes(shortFile, [1, 2, 3]);
        AssertInvalid(shortFile, "too short");
        string empty = tmp.File("empty.safetensors");
        File.WriteAllBytes(empty, []);
        AssertInvalid(empty, "empty");
        Assert.ThrowsExactly<FileNotFoundException>(() => SafeTensors.Read(tmp.File("missing.safetensors")));
    }
}
