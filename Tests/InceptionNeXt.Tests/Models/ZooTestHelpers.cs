using InceptionNeXt.Training.TorchModels;
using TorchSharp;
using static TorchSharp.torch;

namespace InceptionNeXt.Tests.Models;

/// <summary>Helpers the TorchSharp model tests share.</summary>
internal static class ZooTestHelpers
{
    public static Dictionary<string, long[]> StateShapes(nn.Module model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);

    public static float[] Values(nn.Module model, string name) => model.state_dict()[name].data<float>().ToArray();

    public static float[] ToArray(Tensor t)
    {
        using var host = t.detach().cpu().contiguous();
        return host.data<float>().ToArray();
    }

    /// <summary>Fresh norm layers are an identity in eval mode; random statistics make eval comparisons meaningful.</summary>
    public static void RandomiseNormStatistics(nn.Module model, bool normWeights = false)
    {
        using var noGrad = no_grad();
        foreach (var (name, tensor) in model.state_dict())
        {
            if (name.EndsWith("running_mean", StringComparison.Ordinal)) tensor.normal_(0, 0.1);
            else if (name.EndsWith("running_var", StringComparison.Ordinal)) tensor.uniform_(0.5, 1.5);
            else if (name.EndsWith(".gamma", StringComparison.Ordinal)) tensor.normal_(0, 0.3);
            else if (normWeights && tensor.dim() == 1 && name.EndsWith("norm.weight", StringComparison.Ordinal)) tensor.uniform_(0.5, 1.5);
        }
    }

    public static float[] EvalLogits(ImageClassifier model, Tensor x)
    {
        model.eval();
        using var noGrad = no_grad();
        using var logits = model.call(x);
        return ToArray(logits);
    }

    public static double MaxAbsDiff(float[] a, float[] b)
    {
        Assert.AreEqual(a.Length, b.Length, "lengths");
        return a.Zip(b, (u, v) => Math.Abs((double)u - v)).DefaultIfEmpty(0).Max();
    }
}
