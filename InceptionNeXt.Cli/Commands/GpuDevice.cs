using System.Globalization;

namespace InceptionNeXt.Cli.Commands;

/// <summary>Reads an ONNX Runtime device option: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>, as a GPU ordinal (null for the CPU).</summary>
internal static class GpuDevice
{
    public static int? Parse(string text, string option)
    {
        var value = text.Trim().ToLowerInvariant();
        if (value == "cpu") return null;
        if (value == "cuda") return 0;
        if (value.StartsWith("cuda:", StringComparison.Ordinal)
            && int.TryParse(value.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            return index;
        throw new ArgumentException($"{option} '{text}' is not a device; use cpu, cuda or cuda:N (N = GPU ordinal).");
    }
}
