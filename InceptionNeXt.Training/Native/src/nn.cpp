// Neural-network functions: convolution, normalisation, linear, dropout, losses.
#include "shim.h"

IXT_API TensorH ixt_conv2d(TensorH x, TensorH w, TensorH b, const int64_t* stride, const int64_t* padding,
                           const int64_t* dilation, int64_t groups) {
  IXT_TRY(nullptr, {
    return ixt::wrap(at::conv2d(*x, *w, ixt::opt(b), ixt::dims(stride, 2), ixt::dims(padding, 2),
                                ixt::dims(dilation, 2), groups));
  })
}

// Running statistics are updated in place in training mode, as in PyTorch.
IXT_API TensorH ixt_batch_norm(TensorH x, TensorH w, TensorH b, TensorH running_mean, TensorH running_var,
                               int training, double momentum, double eps) {
  IXT_TRY(nullptr, {
    return ixt::wrap(at::batch_norm(*x, ixt::opt(w), ixt::opt(b), ixt::opt(running_mean), ixt::opt(running_var),
                                    training != 0, momentum, eps, /*cudnn_enabled=*/true));
  })
}

IXT_API TensorH ixt_layer_norm(TensorH x, const int64_t* shape, int ndim, TensorH w, TensorH b, double eps) {
  IXT_TRY(nullptr, {
    return ixt::wrap(at::layer_norm(*x, ixt::dims(shape, ndim), ixt::opt(w), ixt::opt(b), eps, true));
  })
}

IXT_API TensorH ixt_linear(TensorH x, TensorH w, TensorH b) {
  IXT_TRY(nullptr, { return ixt::wrap(at::linear(*x, *w, ixt::opt(b))); })
}

IXT_API TensorH ixt_dropout(TensorH x, double p, int training) {
  IXT_TRY(nullptr, { return ixt::wrap(at::dropout(*x, p, training != 0)); })
}

IXT_API TensorH ixt_softmax(TensorH x, int64_t dim, int log) {
  IXT_TRY(nullptr, { return ixt::wrap(log ? at::log_softmax(*x, dim) : at::softmax(*x, dim)); })
}

// Mean cross-entropy with integer class targets and optional label smoothing.
IXT_API TensorH ixt_cross_entropy(TensorH logits, TensorH target, double label_smoothing) {
  IXT_TRY(nullptr, {
    return ixt::wrap(at::cross_entropy_loss(*logits, *target, c10::nullopt, at::Reduction::Mean, -100,
                                            label_smoothing));
  })
}

// A (B, 1, 1, ...) mask of Bernoulli(keep) draws, the same shape rule as timm's drop_path.
IXT_API TensorH ixt_bernoulli(TensorH like, const int64_t* shape, int ndim, double p) {
  IXT_TRY(nullptr, {
    auto t = at::empty(ixt::dims(shape, ndim), like->options().requires_grad(false));
    t.bernoulli_(p);
    return ixt::wrap(t);
  })
}

IXT_API TensorH ixt_interpolate(TensorH x, const int64_t* size, int mode, int align_corners) {
  IXT_TRY(nullptr, {
    auto out = ixt::dims(size, 2);
    switch (mode) {
      case 0: return ixt::wrap(at::upsample_nearest2d(*x, out));
      case 1: return ixt::wrap(at::upsample_bilinear2d(*x, out, align_corners != 0));
      case 2: return ixt::wrap(at::upsample_bicubic2d(*x, out, align_corners != 0));
    }
    throw std::invalid_argument("unknown interpolation mode " + std::to_string(mode));
  })
}
