using System.Text.Json;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Checkpoints;

namespace InceptionNeXt.Tests.Checkpoints;

[TestClass]
public sealed class PthWriterTests
{
    internal static StateDict SampleStateDict()
    {
        var sd = new StateDict();
        sd.Add("conv.weight", TensorData.FromFloat32([1f, -2.5f, 3.25f, 0f, 1e-8f, -7f], [2, 3, 1, 1]));
        sd.Add("half", TensorData.FromFloat16([(Half)0.5f, (Half)(-1.25f), (Half)65504f], [3]));
        sd.Add("bf16", TensorData.FromFloat32AsBFloat16([1.5f, -2.25f, 3.140625f, 1e30f], [2, 2]));
        sd.Add("f64", TensorData.FromFloat64([Math.PI, -1e300], [2]));
        sd.Add("bn.num_batches_tracked", TensorData.ScalarInt64(123456789012));
        sd.Add("i32", TensorData.FromInt32([int.MinValue, -1, int.MaxValue], [3]));
        sd.Add("i16", new TensorData(TensorDType.Int16, [2], [0x00, 0x80, 0xff, 0x7f]));
        sd.Add("i8", new TensorData(TensorDType.Int8, [2], [0x80, 0x7f]));
        sd.Add("u8", new TensorData(TensorDType.UInt8, [3], [0, 128, 255]));
        sd.Add("mask", TensorData.FromBool([true, false, true, true], [2, 2]));
        sd.Add("empty", TensorData.FromFloat32([], [0, 4]));
        return sd;
    }

    private const string DescribeScript = """
        import sys, json, zipfile, collections, torch
        p = sys.argv[1]
        with zipfile.ZipFile(p) as z:
            infos = z.infolist()
            methods = sorted(set(i.compress_type for i in infos))
            names = [i.filename for i in infos]
            version = z.read('archive/version').decode()
        obj = torch.load(p)
        def desc(v):
            if isinstance(v, torch.Tensor):
                vals = v.flatten().tolist() if v.dtype == torch.bool else v.double().flatten().tolist()
                if not v.is_floating_point() and v.dtype != torch.bool:
                    vals = [int(x) for x in v.flatten().tolist()]
                return {'tensor': str(v.dtype), 'shape': list(v.shape), 'values': vals, 'contiguous': v.is_contiguous()}
            if isinstance(v, collections.OrderedDict): return {'odict': [[k, desc(x)] for k, x in v.items()]}
            if isinstance(v, dict): return {'dict': [[repr(k), desc(x)] for k, x in v.items()]}
            if isinstance(v, list): return {'list': [desc(x) for x in v]}
            if isinstance(v, tuple): return {'tuple': [desc(x) for x in v]}
            if isinstance(v, bytes): return {'bytes': list(v)}
            if isinstance(v, torch.dtype): return {'dtype': str(v)}
            if isinstance(v, bool): return {'bool': v}
            if isinstance(v, int): return {'int': v}
            if isinstance(v, float): return {'float': repr(v)}
            if isinstance(v, str): return {'str': v}
            if isinstance(v, (set, frozenset)): return {'set': sorted(v)}
            if v is None: return {'none': None}
            return {'other': repr(v)}
        extra = {}
        if isinstance(obj, dict) and 'alias' in obj:
            extra['shared'] = obj['alias'].data_ptr() == obj['model']['conv.weight'].data_ptr()
        print(json.dumps({'methods': methods, 'names': names, 'version': version, 'obj': desc(obj), 'extra': extra}, separators=(',', ':')))
        """;

    private static Dictionary<string, JsonElement> Pairs(JsonElement arrayOfPairs) =>
        arrayOfPairs.EnumerateArray().ToDictionary(p => p[0].GetString()!, p => p[1]);

    [TestMethod]
    public void TorchLoadReadsOurCheckpointWithExactValuesAndDTypes()
    {
        PythonRunner.RequireTorch();
        using var tmp = new TempDir();
        StateDict sd = SampleStateDict();
        var tree = new Dictionary<string, object?>
        {
            ["model"] = sd,
            ["epoch"] = 3L,
            ["big"] = long.MinValue,
            ["lr"] = 0.5,
            ["name"] = "ünï\ncode ✓",
            ["flags"] = new List<object?> { true, false, null, 70000, -5 },
            ["tup"] = new object?[] { 1L, "a", new object?[] { 2.5 } },
            ["blob"] = new byte[] { 0, 0x80, 0xff },
            ["empty_blob"] = Array.Empty<byte>(),
            ["dtype"] = TensorDType.BFloat16,
            ["set"] = new HashSet<object?> { 1L, 2L },
            ["alias"] = sd["conv.weight"],
        };
        string path = tmp.File("ours.pth");
        PthWriter.Save(path, tree);
        Assert.IsEmpty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));

        using JsonDocument doc = JsonDocument.Parse(PythonRunner.Run(DescribeScript, path));
        JsonElement root = doc.RootElement;
        CollectionAssert.AreEqual(new[] { 0 }, root.GetProperty("methods").EnumerateArray().Select(e => e.GetInt32()).ToArray(), "every record must be stored uncompressed");
        Assert.AreEqual("3\n", root.GetProperty("version").GetString());
        string[] names = root.GetProperty("names").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.AreEqual("archive/data.pkl", names[0]);
        Assert.IsTrue(names.All(n => n.StartsWith("archive/", StringComparison.Ordinal)));
        Assert.IsTrue(root.GetProperty("extra").GetProperty("shared").GetBoolean(), "the same TensorData must share one storage");

        Dictionary<string, JsonElement> top = Pairs(root.GetProperty("obj").GetProperty("dict"));
        Assert.AreEqual(3, top["'epoch'"].GetProperty("int").GetInt64());
        Assert.AreEqual(long.MinValue, top["'big'"].GetProperty("int").GetInt64());
        Assert.AreEqual("0.5", top["'lr'"].GetProperty("float").GetString());
        Assert.AreEqual("ünï\ncode ✓", top["'name'"].GetProperty("str").GetString());
        Assert.AreEqual("[{\"bool\":true},{\"bool\":false},{\"none\":null},{\"int\":70000},{\"int\":-5}]", top["'flags'"].GetProperty("list").GetRawText());
        Assert.AreEqual("[{\"int\":1},{\"str\":\"a\"},{\"tuple\":[{\"float\":\"2.5\"}]}]", top["'tup'"].GetProperty("tuple").GetRawText());
        Assert.AreEqual("[0,128,255]", top["'blob'"].GetProperty("bytes").GetRawText());
        Assert.AreEqual("[]", top["'empty_blob'"].GetProperty("bytes").GetRawText());
        Assert.AreEqual("torch.bfloat16", top["'dtype'"].GetProperty("dtype").GetString());
        Assert.AreEqual("[1,2]", top["'set'"].GetProperty("set").GetRawText());

        JsonElement model = top["'model'"].GetProperty("odict");
        CollectionAssert.AreEqual(sd.Keys.ToArray(), model.EnumerateArray().Select(p => p[0].GetString()!).ToArray(), "OrderedDict order");
        Dictionary<string, JsonElement> tensors = Pairs(model);
        foreach ((string name, TensorData t) in sd)
        {
            JsonElement e = tensors[name];
            Assert.AreEqual("torch." + t.DType.ToTorchName(), e.GetProperty("tensor").GetString(), name);
            CollectionAssert.AreEqual(t.Shape, e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray(), name);
            Assert.IsTrue(e.GetProperty("contiguous").GetBoolean(), name);
            JsonElement values = e.GetProperty("values");
            if (t.DType == TensorDType.Bool)
            {
                CollectionAssert.AreEqual(t.ToInt64().Select(v => v != 0).ToArray(), values.EnumerateArray().Select(v => v.GetBoolean()).ToArray(), name);
            }
            else if (t.DType.IsFloatingPoint())
            {
                CollectionAssert.AreEqual(t.ToFloat64(), values.EnumerateArray().Select(v => v.GetDouble()).ToArray(), name);
            }
            else
            {
                CollectionAssert.AreEqual(t.ToInt64(), values.EnumerateArray().Select(v => v.GetInt64()).ToArray(), name);
            }
        }
    }

    [TestMethod]
    public void PlainStateDictSavesAsOrderedDictThatTorchLoadsIntoAModule()
    {
        PythonRunner.RequireTorch();
        using var tmp = new TempDir();
        var sd = new StateDict();
        sd.Add("weight", TensorData.FromFloat32([1, 2, 3, 4, 5, 6], [2, 3]));
        sd.Add("bias", TensorData.FromFloat32([0.5f, -0.5f], [2]));
        string path = tmp.File("linear.pt");
        Checkpoint.SaveStateDict(path, sd);
        const string script = """
            import sys, torch, collections
            sd = torch.load(sys.argv[1])
            assert type(sd) is collections.OrderedDict, type(sd)
            m = torch.nn.Linear(3, 2)
            m.load_state_dict(sd)
            print(m(torch.ones(1, 3)).tolist())
            """;
        Assert.AreEqual("[[6.5, 14.5]]", PythonRunner.Run(script, path).Trim());
    }

    [TestMethod]
    public void RoundTripsThroughOurReader()
    {
        using var tmp = new TempDir();
        StateDict sd = SampleStateDict();
        string path = tmp.File("rt.pth");
        PthWriter.Save(path, new Dictionary<string, object?> { ["state_dict_ema"] = sd, ["epoch"] = 1L });
        StateDict back = PthReader.ReadStateDict(path);
        CollectionAssert.AreEqual(sd.Keys.ToArray(), back.Keys.ToArray());
        foreach ((string name, TensorData t) in sd)
        {
            Assert.AreEqual(t.DType, back[name].DType, name);
            CollectionAssert.AreEqual(t.Shape, back[name].Shape, name);
            CollectionAssert.AreEqual(t.Data, back[name].Data, name);
        }

        // Deterministic output: identical trees give identical bytes.
        string again = tmp.File("rt2.pth");
        PthWriter.Save(again, new Dictionary<string, object?> { ["state_dict_ema"] = sd, ["epoch"] = 1L });
        CollectionAssert.AreEqual(File.ReadAllBytes(path), File.ReadAllBytes(again));
    }

    [TestMethod]
    public void RejectsUnsupportedValuesAndCycles()
    {
        using var tmp = new TempDir();
        Assert.ThrowsExactly<ArgumentException>(() => PthWriter.Save(tmp.File("x.pth"), new Dictionary<string, object?> { ["x"] = new Uri("http://a") }));
        var cyclic = new List<object?>();
        cyclic.Add(cyclic);
        Assert.ThrowsExactly<ArgumentException>(() => PthWriter.Save(tmp.File("y.pth"), cyclic));
        Assert.IsEmpty(Directory.GetFiles(tmp.Path));
    }
}
