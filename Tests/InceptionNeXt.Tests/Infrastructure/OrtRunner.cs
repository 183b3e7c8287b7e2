using Microsoft.ML.OnnxRuntime;

namespace InceptionNeXt.Tests.Infrastructure;

/// <summary>One float output of a reference ONNX Runtime run: its shape and values, copied out of the runtime.</summary>
internal sealed record OrtOutput(long[] Shape, float[] Values);

/// <summary>Runs a model once on ONNX Runtime's CPU provider with one float input, for checks against another engine.</summary>
internal static class OrtRunner
{
    /// <summary>All outputs of <paramref name="model"/> (bytes) for <paramref name="input"/> of <paramref name="shape"/>.</summary>
    public static Dictionary<string, OrtOutput> Run(byte[] model, float[] input, params long[] shape)
    {
        _ = InceptionNeXt.ML.Inference.OnnxSessionFactory.Runtime; // the library's environment: telemetry off, as in production
        using var session = new InferenceSession(model);
        return Run(session, input, shape);
    }

    /// <summary>All outputs of the model file <paramref name="modelPath"/> for <paramref name="input"/> of <paramref name="shape"/>.</summary>
    public static Dictionary<string, OrtOutput> Run(string modelPath, float[] input, params long[] shape)
    {
        _ = InceptionNeXt.ML.Inference.OnnxSessionFactory.Runtime;
        using var session = new InferenceSession(modelPath);
        return Run(session, input, shape);
    }

    /// <summary>All outputs of <paramref name="session"/> for <paramref name="input"/> of <paramref name="shape"/>.</summary>
    public static Dictionary<string, OrtOutput> Run(InferenceSession session, float[] input, params long[] shape)
    {
        using var value = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        var names = session.OutputNames.ToArray();
        using var results = session.Run(runOptions, [session.InputNames[0]], [value], names);
        var outputs = new Dictionary<string, OrtOutput>();
        for (var i = 0; i < names.Length; i++)
            outputs[names[i]] = new OrtOutput(results[i].GetTensorTypeAndShape().Shape, results[i].GetTensorDataAsSpan<float>().ToArray());
        return outputs;
    }
}
