using InceptionNeXt.Tests.Checkpoints;
using InceptionNeXt.Tests.Infrastructure;

namespace InceptionNeXt.Tests.OnnxRuntime;

/// <summary>
/// Small ONNX models written by Python's onnx package (opset 17, IR 8) into a temporary folder, with numpy
/// reference outputs saved as raw little-endian float32 files.
/// </summary>
internal sealed class TestModels : IDisposable
{
    // conv.onnx:  y[batch,4,8,8] = Relu(Conv(x[batch,3,8,8], W, pad 1)) + B, with model metadata.
    // two.onnx:   sum = a + b, prod = a * b over [?,3] (unnamed dynamic first dimension).
    // typed.onnx: out[n] = float(ids:int64[n]) * float(mask:uint8[n]).
    private const string Script = """
import sys, os
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(1234)

def save(name, arr):
    np.ascontiguousarray(arr, dtype=np.float32).tofile(os.path.join(out, name))

def finish(graph, name, **kw):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], **kw)
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, name))
    return model

W = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
B = rng.standard_normal((4, 1, 1)).astype(np.float32)
g = helper.make_graph(
    [helper.make_node("Conv", ["x", "W"], ["c"], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
     helper.make_node("Relu", ["c"], ["r"]),
     helper.make_node("Add", ["r", "B"], ["y"])],
    "tiny_conv",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 8, 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4, 8, 8])],
    initializer=[numpy_helper.from_array(W, "W"), numpy_helper.from_array(B, "B")],
    doc_string="graph doc")
m = finish(g, "conv.onnx", producer_name="inx-test", doc_string="A tiny conv net for binding tests")
m.model_version = 7
m.domain = "ai.inceptionnext.test"
helper.set_model_props(m, {"labels": "cat,dog,bird,fish", "author": "inceptionnext"})
onnx.save(m, os.path.join(out, "conv.onnx"))

def conv_ref(x):
    n, c, h, w = x.shape
    xp = np.pad(x.astype(np.float64), ((0, 0), (0, 0), (1, 1), (1, 1)))
    acc = np.zeros((n, 4, h, w))
    for i in range(3):
        for j in range(3):
            acc += np.einsum("nchw,oc->nohw", xp[:, :, i:i + h, j:j + w], W[:, :, i, j].astype(np.float64))
    return np.maximum(acc, 0) + B.astype(np.float64)

for batch in (1, 2):
    x = rng.standard_normal((batch, 3, 8, 8)).astype(np.float32)
    save(f"x{batch}.bin", x)
    save(f"y{batch}.bin", conv_ref(x))
save("b.bin", B)

g = helper.make_graph(
    [helper.make_node("Add", ["a", "b"], ["sum"]), helper.make_node("Mul", ["a", "b"], ["prod"])],
    "two_outputs",
    [helper.make_tensor_value_info("a", TensorProto.FLOAT, [None, 3]),
     helper.make_tensor_value_info("b", TensorProto.FLOAT, [None, 3])],
    [helper.make_tensor_value_info("sum", TensorProto.FLOAT, [None, 3]),
     helper.make_tensor_value_info("prod", TensorProto.FLOAT, [None, 3])])
finish(g, "two.onnx", producer_name="inx-test")

g = helper.make_graph(
    [helper.make_node("Cast", ["ids"], ["idsf"], to=TensorProto.FLOAT),
     helper.make_node("Cast", ["mask"], ["maskf"], to=TensorProto.FLOAT),
     helper.make_node("Mul", ["idsf", "maskf"], ["out"])],
    "typed",
    [helper.make_tensor_value_info("ids", TensorProto.INT64, ["n"]),
     helper.make_tensor_value_info("mask", TensorProto.UINT8, ["n"])],
    [helper.make_tensor_value_info("out", TensorProto.FLOAT, ["n"])])
finish(g, "typed.onnx")
print("ok")
""";

    private readonly TempDir _dir = new();

    private TestModels()
    {
    }

    public string Dir => _dir.Path;

    public string Conv => _dir.File("conv.onnx");

    public string Two => _dir.File("two.onnx");

    public string Typed => _dir.File("typed.onnx");

    public float[] Bias => ReadFloats("b.bin");

    /// <summary>Writes the models (marks the test inconclusive when Python or its onnx package is missing).</summary>
    public static TestModels Create()
    {
        PythonRunner.RequirePython();
        var models = new TestModels();
        try
        {
            string stdout = PythonRunner.Run(Script, models.Dir);
            if (!stdout.Contains("ok", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("The model script did not finish: " + stdout);
            }
        }
        catch (InvalidOperationException e) when (e.Message.Contains("No module named 'onnx'", StringComparison.Ordinal))
        {
            models.Dispose();
            Assert.Inconclusive("Python's onnx package is not installed (apt-get install python3-onnx).");
        }

        return models;
    }

    public float[] Input(int batch) => ReadFloats($"x{batch}.bin");

    public float[] Expected(int batch) => ReadFloats($"y{batch}.bin");

    public float[] ReadFloats(string name)
    {
        byte[] bytes = File.ReadAllBytes(_dir.File(name));
        var values = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Asserts element-wise closeness with a mixed absolute/relative tolerance.</summary>
    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance = 1e-4f)
    {
        Assert.AreEqual(expected.Length, actual.Length, "length");
        for (int i = 0; i < expected.Length; i++)
        {
            float limit = tolerance * (1 + Math.Abs(expected[i]));
            if (!(Math.Abs(expected[i] - actual[i]) <= limit))
            {
                Assert.Fail($"Element {i}: expected {expected[i]}, got {actual[i]}.");
            }
        }
    }
}
