namespace InceptionNeXt.ML.Trainers;

/// <summary>
/// Metrics of one epoch (<see cref="MlpHeadTrainer"/>) or one iteration (<see cref="LbfgsLogisticRegression"/>) of
/// head training, passed to the trainer's <c>OnEpoch</c> callback.
/// </summary>
/// <param name="Epoch">1-based epoch or iteration number.</param>
/// <param name="Loss">
/// Mean cross-entropy over the training samples, without any regularisation term (with label smoothing when the
/// trainer applies it).
/// </param>
/// <param name="Accuracy">Fraction of training samples classified correctly, in [0, 1].</param>
/// <param name="LearningRate">The optimiser's learning rate (the accepted line-search step for L-BFGS).</param>
/// <param name="ValidationLoss">Mean cross-entropy on the validation set; null without one.</param>
/// <param name="ValidationAccuracy">Validation accuracy in [0, 1]; null without a validation set.</param>
public sealed record HeadTrainingEpoch(int Epoch, double Loss, double Accuracy, double LearningRate, double? ValidationLoss, double? ValidationAccuracy);
