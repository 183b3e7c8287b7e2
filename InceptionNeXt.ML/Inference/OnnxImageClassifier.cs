namespace InceptionNeXt.ML.Inference;

/// <summary>One class with its probability.</summary>
/// <param name="Index">Class index.</param>
/// <param name="Label">Class label from the model's metadata.</param>
/// <param name="Probability">Softmax probability.</param>
public sealed record ClassPrediction(int Index, string Label, float Probability);

/// <summary>The result for one image: its top-k classes, or why it could not be classified.</summary>
/// <param name="Source">The image's path or name.</param>
/// <param name="Predictions">Top-k classes, most likely first (empty on error).</param>
/// <param name="Error">Why the image could not be read, or null.</param>
public sealed record ImageClassification(string Source, IReadOnlyList<ClassPrediction> Predictions, Exception? Error)
{
    /// <summary>True when the image was classified.</summary>
    public bool Succeeded => Error is null;

    /// <summary>The most likely class.</summary>
    /// <exception cref="InvalidOperationException">The image failed.</exception>
    public ClassPrediction Top => Succeeded ? Predictions[0] : throw new InvalidOperationException($"{Source} was not classified: {Error!.Message}");
}

/// <summary>
/// Classifies images with an exported InceptionNeXt (or any single-input NCHW classifier) on ONNX Runtime:
/// decoding, the model's own preprocessing, batching and top-k with labels. Thread-safe.
/// </summary>
/// <example>
/// <code>
/// using var classifier = new OnnxImageClassifier("model.onnx");
/// var result = classifier.Classify("cat.jpg");
/// Console.WriteLine($"{result.Top.Label} {result.Top.Probability:P1}");
/// </code>
/// </example>
public sealed class OnnxImageClassifier : OnnxImageModel
{
    /// <summary>Loads the model (CPU unless <see cref="InferenceOptions.GpuDeviceId"/> is set).</summary>
    /// <exception cref="InvalidDataException">The model has no logits output or is not an image model.</exception>
    public OnnxImageClassifier(string modelPath, InferenceOptions? options = null) : base(modelPath, options) => RequireLogits(modelPath);

    /// <summary>Loads the model from its bytes; <paramref name="name"/> is how errors refer to it.</summary>
    /// <exception cref="InvalidDataException">The model has no logits output or is not an image model.</exception>
    public OnnxImageClassifier(byte[] model, string name, InferenceOptions? options = null) : base(model, name, options) => RequireLogits(name);

    private void RequireLogits(string name)
    {
        if (!Info.HasLogits)
        {
            Dispose();
            throw new InvalidDataException($"{name} has no 'logits' output; use {nameof(OnnxImageFeaturizer)} for feature models.");
        }
    }

    /// <summary>
    /// Logits of many images in batches, in input order (decoding overlapped with inference); an unreadable image
    /// gives its error instead.
    /// </summary>
    public IEnumerable<(ImageInput Image, float[]? Logits, Exception? Error)> LogitsMany(IEnumerable<ImageInput> images) => RunImages(images, LogitsName);

    /// <summary>Class labels, by index.</summary>
    public IReadOnlyList<string> Labels => Info.Labels;

    /// <summary>The output that holds the logits: <c>logits</c>, or a foreign classifier's only output.</summary>
    internal string LogitsName => Session.OutputNames.Contains("logits") ? "logits" : Session.OutputNames[0];

    /// <summary>Classifies one image; an unreadable image throws (<see cref="Imaging.InvalidImageException"/>).</summary>
    public ImageClassification Classify(ImageInput image, int topK = 5)
    {
        var result = ClassifyMany([image], topK).Single();
        if (result.Error is not null) throw result.Error;
        return result;
    }

    /// <summary>
    /// Classifies many images in batches, preprocessing the next batch while the current one runs. Results come in
    /// input order; an unreadable image gives a result with <see cref="ImageClassification.Error"/> set and the
    /// others are still classified.
    /// </summary>
    public IEnumerable<ImageClassification> ClassifyMany(IEnumerable<ImageInput> images, int topK = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        foreach (var (input, logits, error) in RunImages(images, LogitsName))
            yield return error is not null
                ? new ImageClassification(input.Name, [], error)
                : new ImageClassification(input.Name, TopK(logits!, topK), null);
    }

    /// <summary>Logits for already-preprocessed pixels (<paramref name="count"/> CHW images).</summary>
    public float[][] Logits(ReadOnlyMemory<float> pixels, int count) => RunPixels(pixels, count, LogitsName);

    /// <summary>Softmax top-k of one logits row.</summary>
    public IReadOnlyList<ClassPrediction> TopK(ReadOnlySpan<float> logits, int k)
    {
        var max = float.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        var sum = 0.0;
        foreach (var v in logits) sum += Math.Exp(v - max);
        var order = Enumerable.Range(0, logits.Length).ToArray();
        var keys = logits.ToArray();
        Array.Sort(keys, order, Comparer<float>.Create((a, b) => b.CompareTo(a)));
        var top = new ClassPrediction[Math.Min(k, order.Length)];
        for (var j = 0; j < top.Length; j++)
        {
            var i = order[j];
            top[j] = new ClassPrediction(i, i < Labels.Count ? Labels[i] : $"class_{i}", (float)(Math.Exp(keys[j] - max) / sum));
        }
        return top;
    }
}
