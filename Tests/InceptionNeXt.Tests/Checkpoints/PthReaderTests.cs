using System.Text.Json;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Checkpoints;

namespace InceptionNeXt.Tests.Checkpoints;

[TestClass]
public sealed class PthReaderTests
{
    // Shared python helper: dumps every tensor of `sd` as float32 .bin plus a manifest (dtype, shape, integer values).
    private const string DumpHelper = """
        import json, os, torch
        def dump(sd, out, prefix=''):
            manifest = {}
            for k, v in sd.items():
                if not isinstance(v, torch.Tensor):
                    continue
                with open(os.path.join(out, prefix + k + '.bin'), 'wb') as f:
                    f.write(v.float().contiguous().numpy().tobytes())
                entry = {'dtype': str(v.dtype), 'shape': list(v.shape)}
                if not v.is_floating_point():
                    entry['ints'] = [int(x) for x in v.flatten().tolist()]
                manifest[k] = entry
            return manifest
        """;

    private static void AssertMatchesDump(StateDict sd, JsonElement manifest, string dir, string prefix = "")
    {
        Assert.AreEqual(manifest.EnumerateObject().Count(), sd.Count, "tensor count");
        int i = 0;
        foreach (JsonProperty p in manifest.EnumerateObject())
        {
            Assert.AreEqual(p.Name, sd.Keys[i++], "key order");
            TensorData t = sd[p.Name];
            Assert.AreEqual(p.Value.GetProperty("dtype").GetString(), "torch." + t.DType.ToTorchName(), $"{p.Name} dtype");
            long[] shape = p.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            CollectionAssert.AreEqual(shape, t.Shape, $"{p.Name} shape");
            byte[] raw = File.ReadAllBytes(Path.Combine(dir, prefix + p.Name + ".bin"));
            float[] expected = new float[raw.Length / 4];
            Buffer.BlockCopy(raw, 0, expected, 0, raw.Length);
            float[] actual = t.ToFloat32();
            Assert.HasCount(expected.Length, actual, $"{p.Name} numel");
            for (int j = 0; j < expected.Length; j++)
            {
                Assert.AreEqual(BitConverter.SingleToInt32Bits(expected[j]), BitConverter.SingleToInt32Bits(actual[j]), $"{p.Name}[{j}]: expected {expected[j]}, got {actual[j]}");
            }

            if (p.Value.TryGetProperty("ints", out JsonElement ints))
            {
                CollectionAssert.AreEqual(ints.EnumerateArray().Select(e => e.GetInt64()).ToArray(), t.ToInt64(), $"{p.Name} ints");
            }
        }
    }

    [TestMethod]
    public void ReadsTorchSavedStateDictWithAllDTypesViewsAndStrides()
    {
        PythonRunner.RequireTorch();
        using var tmp = new TempDir();
        string script = DumpHelper + """

            import sys
            out = sys.argv[1]
            torch.manual_seed(0)
            base = torch.randn(4, 6)
            sd = {}
            sd['f32'] = torch.randn(3, 5)
            sd['f16'] = torch.randn(2, 3).half()
            sd['bf16'] = torch.randn(7).bfloat16()
            sd['f64'] = torch.randn(2, 2, dtype=torch.float64)
            sd['num_batches_tracked'] = torch.tensor(12345678901, dtype=torch.int64)
            sd['i64'] = torch.arange(-3, 3, dtype=torch.int64)
            sd['i32'] = torch.arange(5, dtype=torch.int32) * -7
            sd['i16'] = torch.tensor([-300, 0, 300], dtype=torch.int16)
            sd['i8'] = torch.tensor([-128, 0, 127], dtype=torch.int8)
            sd['u8'] = torch.tensor([0, 200, 255], dtype=torch.uint8)
            sd['mask'] = torch.tensor([True, False, True])
            sd['base'] = base
            sd['transposed'] = base.t()
            sd['view_offset'] = base.view(-1)[5:11].view(2, 3)
            sd['strided'] = base[:, ::2]
            sd['empty'] = torch.empty(0, 3)
            sd['scalar_f'] = torch.tensor(3.5)
            sd['permuted'] = torch.randn(2, 3, 4, 5).permute(0, 2, 3, 1)
            sd['expanded'] = torch.randn(3, 1).expand(3, 4)
            assert not sd['transposed'].is_contiguous() and sd['view_offset'].storage_offset() == 5
            torch.save(sd, os.path.join(out, 'model.pth'))
            print(json.dumps(dump(sd, out)))
            """;
        using JsonDocument manifest = JsonDocument.Parse(PythonRunner.Run(script, tmp.Path));
        StateDict sd = PthReader.ReadStateDict(tmp.File("model.pth"));
        AssertMatchesDump(sd, manifest.RootElement, tmp.Path);
        Assert.IsEmpty(sd["num_batches_tracked"].Shape);
        Assert.AreEqual(12345678901L, sd["num_batches_tracked"].ToInt64()[0]);
        Assert.AreEqual(0L, sd["empty"].Numel);

        // The facade dispatches on content and gives the same.
        StateDict viaFacade = Checkpoint.LoadStateDict(tmp.File("model.pth"));
        CollectionAssert.AreEqual(sd.Keys.ToArray(), viaFacade.Keys.ToArray());
    }

    [TestMethod]
    public void ReadsNestedTrainingCheckpointWithModuleStateDictNamespaceAndNumpyScalars()
    {
        PythonRunner.RequireTorch();
        using var tmp = new TempDir();
        string script = DumpHelper + """

            import sys, argparse
            import numpy as np
            out = sys.argv[1]
            torch.manual_seed(1)
            model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
            opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
            model(torch.randn(2, 3, 8, 8)).sum().backward()
            opt.step()
            sd = model.state_dict()
            assert hasattr(sd, '_metadata')
            ckpt = {'model': sd, 'optimizer': opt.state_dict(), 'epoch': 7,
                    'args': argparse.Namespace(lr=0.1, name='x', sizes=[1, 2]),
                    'best_acc': np.float64(0.75), 'count': np.int64(42), 'f32': np.float32(1.5),
                    'tags': ('a', 1, 2.5, None, True), 'blob': b'\x00\xffabc', 'ema': None, 'big': -2**62}
            torch.save(ckpt, os.path.join(out, 'ckpt.pth'))
            torch.save({'state_dict': {'module.' + k: v for k, v in sd.items()}, 'epoch': 1}, os.path.join(out, 'dp.pth'))
            print(json.dumps(dump(sd, out)))
            """;
        using JsonDocument manifest = JsonDocument.Parse(PythonRunner.Run(script, tmp.Path));
        string path = tmp.File("ckpt.pth");

        var tree = (Dictionary<string, object?>)PthReader.Load(path)!;
        Assert.AreEqual(7L, tree["epoch"]);
        Assert.AreEqual(-(1L << 62), tree["big"]);
        var args = (Dictionary<string, object?>)tree["args"]!;
        Assert.AreEqual(0.1, args["lr"]);
        Assert.AreEqual("x", args["name"]);
        CollectionAssert.AreEqual(new List<object?> { 1L, 2L }, (List<object?>)args["sizes"]!);
        Assert.AreEqual(0.75, tree["best_acc"]);
        Assert.AreEqual(42L, tree["count"]);
        Assert.AreEqual(1.5, tree["f32"]);
        CollectionAssert.AreEqual(new object?[] { "a", 1L, 2.5, null, true }, (object?[])tree["tags"]!);
        CollectionAssert.AreEqual(new byte[] { 0, 0xff, (byte)'a', (byte)'b', (byte)'c' }, (byte[])tree["blob"]!);
        Assert.IsNull(tree["ema"]);
        var optimizer = (Dictionary<string, object?>)tree["optimizer"]!;
        var state = (Dictionary<string, object?>)optimizer["state"]!;
        Assert.IsTrue(state.ContainsKey("0"), "integer optimizer state keys become strings");
        Assert.IsInstanceOfType<TensorData>(((Dictionary<string, object?>)state["0"]!)["momentum_buffer"]);
        var groups = (List<object?>)optimizer["param_groups"]!;
        Assert.AreEqual(0.1, ((Dictionary<string, object?>)groups[0]!)["lr"]);

        StateDict sd = PthReader.ReadStateDict(path);
        CollectionAssert.AreEqual(
            new[] { "0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked" },
            sd.Keys.ToArray());
        AssertMatchesDump(sd, manifest.RootElement, tmp.Path);
        Assert.AreEqual(TensorDType.Int64, sd["1.num_batches_tracked"].DType);
        Assert.AreEqual(1L, sd["1.num_batches_tracked"].ToInt64()[0]);

        StateDict byKey = PthReader.ReadStateDict(path, "model");
        CollectionAssert.AreEqual(sd.Keys.ToArray(), byKey.Keys.ToArray());

        var missing = Assert.ThrowsExactly<InvalidDataException>(() => PthReader.ReadStateDict(path, "nope"));
        StringAssert.StartsWith(missing.Message, path);
        StringAssert.Contains(missing.Message, "'nope'");
        StringAssert.Contains(missing.Message, "'optimizer'");

        // DataParallel: "module." is stripped, found under 'state_dict'.
        StateDict dp = Checkpoint.LoadStateDict(tmp.File("dp.pth"));
        CollectionAssert.AreEqual(sd.Keys.ToArray(), dp.Keys.ToArray());
        AssertMatchesDump(dp, manifest.RootElement, tmp.Path);
    }

    [TestMethod]
    public void ReadsPlainContainersPickledWithEveryProtocol()
    {
        PythonRunner.RequirePython();
        using var tmp = new TempDir();
        const string script = """
            import sys, os, pickle, zipfile, collections, argparse
            out = sys.argv[1]
            shared = [9, 8]
            obj = {'i': 5, 'neg': -70000, 'big': 2**40, 'bigneg': -2**62, 'f': 1.5, 'inf': float('inf'),
                   's': 'h\u00e9llo\nworld\\ \u4e2d\U0001F600', 'b': b'\x00\x01\xff', 'eb': b'', 'l': [1, [2, 3]],
                   't': (1,), 't0': (), 't2': (1, 2), 't5': (1, 2, 3, 4, 5), 'n': None, 'tr': True, 'fa': False,
                   'set': {1, 2}, 'fs': frozenset({3}), 'od': collections.OrderedDict(a=1), 'ns': argparse.Namespace(x=1),
                   7: 'intkey', 'shared': shared, 'shared2': shared}
            for p in range(6):
                with zipfile.ZipFile(os.path.join(out, f'p{p}.pth'), 'w') as z:
                    z.writestr('archive/data.pkl', pickle.dumps(obj, protocol=p))
                    z.writestr('archive/version', '3\n')
            # Python 2 style STRING/BINSTRING/SHORT_BINSTRING, text LONG/INT, MARK/POP_MARK/DUP.
            legacy = b"(S'ab\\n'\nU\x03xyzT\x02\x00\x00\x00hiL12345678901234L\nI00\n(K\x01K\x021K\x072\x86l."
            assert pickle.loads(legacy) == ['ab\n', 'xyz', 'hi', 12345678901234, False, (7, 7)]
            with zipfile.ZipFile(os.path.join(out, 'legacy_ops.pth'), 'w') as z:
                z.writestr('mydir/data.pkl', legacy)
            """;
        PythonRunner.Run(script, tmp.Path);
        for (int p = 0; p < 6; p++)
        {
            var d = (Dictionary<string, object?>)PthReader.Load(tmp.File($"p{p}.pth"))!;
            string ctx = $"protocol {p}";
            Assert.AreEqual(5L, d["i"], ctx);
            Assert.AreEqual(-70000L, d["neg"], ctx);
            Assert.AreEqual(1L << 40, d["big"], ctx);
            Assert.AreEqual(-(1L << 62), d["bigneg"], ctx);
            Assert.AreEqual(1.5, d["f"], ctx);
            Assert.AreEqual(double.PositiveInfinity, d["inf"], ctx);
            Assert.AreEqual("h\u00e9llo\nworld\\ \u4e2d\U0001F600", d["s"], ctx);
            CollectionAssert.AreEqual(new byte[] { 0, 1, 0xff }, (byte[])d["b"]!, ctx);
            Assert.IsEmpty((byte[])d["eb"]!, ctx);
            var l = (List<object?>)d["l"]!;
            Assert.AreEqual(1L, l[0], ctx);
            CollectionAssert.AreEqual(new List<object?> { 2L, 3L }, (List<object?>)l[1]!, ctx);
            CollectionAssert.AreEqual(new object?[] { 1L }, (object?[])d["t"]!, ctx);
            Assert.IsEmpty((object?[])d["t0"]!, ctx);
            CollectionAssert.AreEqual(new object?[] { 1L, 2L }, (object?[])d["t2"]!, ctx);
            CollectionAssert.AreEqual(new object?[] { 1L, 2L, 3L, 4L, 5L }, (object?[])d["t5"]!, ctx);
            Assert.IsNull(d["n"], ctx);
            Assert.AreEqual(true, d["tr"], ctx);
            Assert.AreEqual(false, d["fa"], ctx);
            Assert.IsTrue(((HashSet<object?>)d["set"]!).SetEquals(new object?[] { 1L, 2L }), ctx);
            Assert.IsTrue(((HashSet<object?>)d["fs"]!).SetEquals(new object?[] { 3L }), ctx);
            Assert.AreEqual(1L, ((Dictionary<string, object?>)d["od"]!)["a"], ctx);
            Assert.AreEqual(1L, ((Dictionary<string, object?>)d["ns"]!)["x"], ctx);
            Assert.AreEqual("intkey", d["7"], ctx);
            Assert.AreSame(d["shared"], d["shared2"], ctx + ": memo must share the object");
        }

        var legacy = (List<object?>)PthReader.Load(tmp.File("legacy_ops.pth"))!;
        CollectionAssert.AreEqual(new object?[] { "ab\n", "xyz", "hi", 12345678901234L, false }, legacy.Take(5).ToArray());
        CollectionAssert.AreEqual(new object?[] { 7L, 7L }, (object?[])legacy[5]!);
    }
}
