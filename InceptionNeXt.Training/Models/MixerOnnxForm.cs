namespace InceptionNeXt.Training.Models;

/// <summary>How the Inception depthwise mixer (<see cref="TorchModels.InceptionDWConv2d"/>) is written to ONNX.</summary>
public enum MixerOnnxForm
{
    /// <summary>
    /// Three depthwise convolutions over all channels, summed (zero kernel outside each branch, a centre tap of 1 on the
    /// identity channels): no Split or Concat, so ONNX Runtime's CPU provider keeps whole blocks in its NCHWc layout.
    /// </summary>
    Fused,

    /// <summary>The literal graph: Split, three depthwise convolutions on their channel groups, Concat.</summary>
    Split,
}
