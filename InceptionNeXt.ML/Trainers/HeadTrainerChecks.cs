namespace InceptionNeXt.ML.Trainers;

/// <summary>Argument checks shared by the head trainers.</summary>
internal static class HeadTrainerChecks
{
    /// <summary>Throws unless <paramref name="validation"/> (when given) has the training set's feature size and classes.</summary>
    public static void CheckValidation(HeadTrainingSet train, HeadTrainingSet? validation)
    {
        if (validation is null) return;
        if (validation.FeatureSize != train.FeatureSize)
            throw new ArgumentException($"Validation features have {validation.FeatureSize} values but training features have {train.FeatureSize}.", nameof(validation));
        if (validation.NumClasses != train.NumClasses)
            throw new ArgumentException($"The validation set has {validation.NumClasses} classes but the training set has {train.NumClasses}.", nameof(validation));
    }
}
