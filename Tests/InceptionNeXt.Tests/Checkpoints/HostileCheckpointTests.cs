using System.IO.Compression;
using InceptionNeXt.Tests.Infrastructure;
using InceptionNeXt.Training.Checkpoints;

namespace InceptionNeXt.Tests.Checkpoints;

[TestClass]
public sealed class HostileCheckpointTests
{
    private static InvalidDataException AssertInvalid(Action action, string path, params string[] fragments)
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(action);
        StringAssert.StartsWith(e.Message, path);
        foreach (string f in fragments)
        {
            StringAssert.Contains(e.Message, f);
        }

        return e;
    }

    private static void WriteZip(string path, params (string Name, byte[] Content)[] entries)
    {
        using var zip = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach ((string name, byte[] content) in entries)
        {
            using Stream s = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
            s.Write(content);
        }
    }

    [TestMethod]
    public void MissingEmptyAndRandomFilesGiveClearErrors()
    {
        using var tmp = new TempDir();
        string missing = tmp.File("missing.pth");
        var nf = Assert.ThrowsExactly<FileNotFoundException>(() => Checkpoint.LoadStateDict(missing));
        StringAssert.Contains(nf.Message, missing);
        Assert.ThrowsExactly<FileNotFoundException>(() => PthReader.Load(missing));

        string empty = tmp.File("empty.pth");
        File.WriteAllBytes(empty, []);
        AssertInvalid(() => Checkpoint.LoadStateDict(empty), empty, "empty");
        AssertInvalid(() => PthReader.Load(empty), empty, "empty");

        var rng = new Random(1234);
        for (int i = 0; i < 20; i++)
        {
            var bytes = new byte[rng.Next(1, 4000)];
            rng.NextBytes(bytes);
            if (i % 3 == 1 && bytes.Length >= 4)
            {
                "PK\x03\x04"u8.CopyTo(bytes);
            }

            string path = tmp.File($"random{i}.pth");
            File.WriteAllBytes(path, bytes);
            AssertInvalid(() => Checkpoint.LoadStateDict(path), path);
            AssertInvalid(() => PthReader.Load(path), path);
        }
    }

    [TestMethod]
    public void TruncatedAndCorruptedTorchCheckpointsNeverCrash()
    {
        PythonRunner.RequireTorch();
        using var tmp = new TempDir();
        string good = tmp.File("good.pth");
        PythonRunner.Run("""
            import sys, torch
            torch.manual_seed(0)
            m = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.BatchNorm2d(8), torch.nn.Linear(8, 4))
            torch.save({'model': m.state_dict(), 'epoch': 3}, sys.argv[1])
            """, good);
        byte[] bytes = File.ReadAllBytes(good);
        Assert.AreEqual(9, Checkpoint.LoadStateDict(good).Count);

        foreach (double fraction in new[] { 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99 })
        {
            string cut = tmp.File($"cut{fraction}.pth");
            File.WriteAllBytes(cut, bytes.AsSpan(0, (int)(bytes.Length * fraction)).ToArray());
            AssertInvalid(() => Checkpoint.LoadStateDict(cut), cut);
        }

        // Random byte corruption: either still loads (tensor bytes changed) or fails with InvalidDataException naming the file.
        var rng = new Random(42);
        int failures = 0;
        for (int i = 0; i < 300; i++)
        {
            byte[] corrupt = (byte[])bytes.Clone();
            int flips = rng.Next(1, 8);
            for (int f = 0; f < flips; f++)
            {
                corrupt[rng.Next(corrupt.Length)] = (byte)rng.Next(256);
            }

            string path = tmp.File("corrupt.pth");
            File.WriteAllBytes(path, corrupt);
            try
            {
                PthReader.Load(path);
            }
            catch (InvalidDataException e)
            {
                StringAssert.StartsWith(e.Message, path);
                failures++;
            }
        }

        Assert.IsGreaterThan(0, failures);
    }

    [TestMethod]
    public void RefusesToExecuteGlobalsAndNeverRunsThem()
    {
        PythonRunner.RequirePython();
        using var tmp = new TempDir();
        string marker = tmp.File("pwned.txt");
        PythonRunner.Run("""
            import sys, os, struct, pickle, zipfile
            out, marker = sys.argv[1], sys.argv[2]
            cmd = ('echo pwned > ' + marker).encode()
            handmade = b'\x80\x02cos\nsystem\nX' + struct.pack('<I', len(cmd)) + cmd + b'\x85R.'
            class Evil:
                def __reduce__(self):
                    return (os.system, ('echo pwned > ' + marker,))
            class EvalEvil:
                def __reduce__(self):
                    return (eval, ("open(" + repr(marker) + ", 'w').write('x')",))
            payloads = {'handmade': handmade, 'reduce': pickle.dumps({'x': Evil()}, protocol=2),
                        'stackglobal': pickle.dumps([EvalEvil()], protocol=4),
                        'inst': b'(S' + repr('echo pwned > ' + marker).encode() + b'\nios\nsystem\n.'}
            for name, data in payloads.items():
                with zipfile.ZipFile(os.path.join(out, name + '.pth'), 'w') as z:
                    z.writestr('archive/data.pkl', data)
                    z.writestr('archive/version', '3\n')
            """, tmp.Path, marker);

        string handmade = tmp.File("handmade.pth");
        AssertInvalid(() => PthReader.Load(handmade), handmade, "'os.system'", "refusing");
        AssertInvalid(() => Checkpoint.LoadStateDict(handmade), handmade, "'os.system'");
        string reduce = tmp.File("reduce.pth");
        AssertInvalid(() => PthReader.Load(reduce), reduce, "system'", "refusing"); // posix.system on Linux
        string stackGlobal = tmp.File("stackglobal.pth");
        AssertInvalid(() => PthReader.Load(stackGlobal), stackGlobal, "'builtins.eval'");
        string inst = tmp.File("inst.pth");
        AssertInvalid(() => PthReader.Load(inst), inst, "refusing");
        Assert.IsFalse(File.Exists(marker), "nothing may be executed");
    }

    [TestMethod]
    public void LegacyTruncatedOutOfRangeAndBigEndianCheckpoints()
    {
        PythonRunner.RequireTorch();
        using var tmp = new TempDir();
        PythonRunner.Run("""
            import sys, os, io, zipfile, pickle, torch
            out = sys.argv[1]
            sd = {'w': torch.arange(12, dtype=torch.float32).reshape(3, 4)}
            torch.save(sd, os.path.join(out, 'legacy.pth'), _use_new_zipfile_serialization=False)
            torch.save(sd, os.path.join(out, 'good.pth'))
            src = zipfile.ZipFile(os.path.join(out, 'good.pth'))
            def rewrite(name, change):
                with zipfile.ZipFile(os.path.join(out, name), 'w') as z:
                    for info in src.infolist():
                        data = change(info.filename, src.read(info.filename))
                        if data is not None:
                            z.writestr(info.filename, data)
            rewrite('short_storage.pth', lambda n, d: d[:4] if n.endswith('/data/0') else d)
            rewrite('no_storage.pth', lambda n, d: None if n.endswith('/data/0') else d)
            rewrite('cut_pickle.pth', lambda n, d: d[:len(d) // 2] if n.endswith('data.pkl') else d)
            rewrite('big_endian.pth', lambda n, d: b'big' if n.endswith('/byteorder') else d)
            if not any(n.endswith('/byteorder') for n in src.namelist()):
                with zipfile.ZipFile(os.path.join(out, 'big_endian.pth'), 'a') as z:
                    z.writestr(src.namelist()[0].split('/')[0] + '/byteorder', 'big')
            # A view whose size/stride reach past its storage.
            top = src.namelist()[0].split('/')[0]
            pkl = src.read(top + '/data.pkl')
            bad = pkl.replace(b'K\x03K\x04\x86', b'K\x05K\x04\x86')
            assert bad != pkl
            rewrite('bad_view.pth', lambda n, d: bad if n.endswith('data.pkl') else d)
            """, tmp.Path);

        Assert.AreEqual(12L, Checkpoint.LoadStateDict(tmp.File("good.pth"))["w"].Numel);

        string legacy = tmp.File("legacy.pth");
        AssertInvalid(() => Checkpoint.LoadStateDict(legacy), legacy, "legacy", "torch.save");
        AssertInvalid(() => PthReader.ReadStateDict(legacy), legacy, "legacy");
        Assert.AreEqual(Checkpoint.Format.PyTorchLegacy, Checkpoint.DetectFormat(legacy));

        string shortStorage = tmp.File("short_storage.pth");
        AssertInvalid(() => Checkpoint.LoadStateDict(shortStorage), shortStorage, "data/0", "has 4 bytes");
        string noStorage = tmp.File("no_storage.pth");
        AssertInvalid(() => Checkpoint.LoadStateDict(noStorage), noStorage, "data/0", "missing");
        string cutPickle = tmp.File("cut_pickle.pth");
        AssertInvalid(() => Checkpoint.LoadStateDict(cutPickle), cutPickle, "truncated");
        string bigEndian = tmp.File("big_endian.pth");
        AssertInvalid(() => Checkpoint.LoadStateDict(bigEndian), bigEndian, "big-endian");
        string badView = tmp.File("bad_view.pth");
        AssertInvalid(() => Checkpoint.LoadStateDict(badView), badView, "reads element", "storage");
    }

    [TestMethod]
    public void ZipWithoutDataPklIsRejected()
    {
        using var tmp = new TempDir();
        string path = tmp.File("other.zip");
        WriteZip(path, ("readme.txt", "hello"u8.ToArray()));
        AssertInvalid(() => PthReader.Load(path), path, "data.pkl");
    }
}
