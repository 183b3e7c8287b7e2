namespace InceptionNeXt.ML.OnnxRuntime;

/// <summary>A tensor bound to a model input or output name.</summary>
/// <param name="Name">The model input or output name.</param>
/// <param name="Tensor">The tensor.</param>
public readonly record struct NamedTensor(string Name, OrtTensor Tensor);
