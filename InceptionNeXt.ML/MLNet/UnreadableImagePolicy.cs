namespace InceptionNeXt.ML.MLNet;

/// <summary>What an InceptionNeXt transformer does with a row whose image cannot be read or decoded.</summary>
public enum UnreadableImagePolicy
{
    /// <summary>Stop: reading the row throws an <see cref="InvalidOperationException"/> that names the image and the row.</summary>
    Throw,

    /// <summary>
    /// Keep the row with missing values: NaN in every float of its vector outputs, key 0 (ML.NET's missing key) as
    /// its predicted label, and the reason in the error column when one is named. The other rows are unaffected. Rows
    /// with NaN features are skipped by ML.NET's trainers and can be dropped with
    /// <c>mlContext.Data.FilterRowsByMissingValues(data, "Features")</c>. Each skipped row is also logged as a warning
    /// through <c>MLContext.Log</c>.
    /// </summary>
    Skip,
}
