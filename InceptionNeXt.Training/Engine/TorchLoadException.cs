namespace InceptionNeXt.Training.Engine;

/// <summary>TorchSharp's native libraries could not be loaded; the message says why and what to do.</summary>
public sealed class TorchLoadException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TorchLoadException(string message, Exception? inner) : base(message, inner) { }
}
