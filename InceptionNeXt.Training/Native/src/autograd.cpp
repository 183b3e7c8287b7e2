// Autograd entry points and in-place updates used by initialisers and state loading.
#include "shim.h"

#include <cmath>

IXT_API int ixt_backward(TensorH loss, TensorH grad_output, int retain_graph) {
  IXT_TRY(-1, {
    loss->backward(grad_output ? *grad_output : at::Tensor(), retain_graph != 0);
    return 0;
  })
}

// Sets .grad to undefined (PyTorch's zero_grad(set_to_none=True)).
IXT_API int ixt_zero_grad(const TensorH* params, int count) {
  IXT_TRY(-1, {
    for (int i = 0; i < count; ++i) params[i]->mutable_grad().reset();
    return 0;
  })
}

IXT_API int ixt_copy_(TensorH dst, TensorH src) {
  IXT_TRY(-1, {
    at::NoGradGuard no_grad;
    dst->copy_(*src);
    return 0;
  })
}

IXT_API int ixt_fill_(TensorH dst, double value) {
  IXT_TRY(-1, {
    at::NoGradGuard no_grad;
    dst->fill_(value);
    return 0;
  })
}

// Truncated normal on [a, b] by inverse-CDF sampling, the method of torch.nn.init.trunc_normal_.
IXT_API int ixt_trunc_normal_(TensorH t, double mean, double std, double a, double b) {
  IXT_TRY(-1, {
    at::NoGradGuard no_grad;
    auto norm_cdf = [](double x) { return (1.0 + std::erf(x / std::sqrt(2.0))) / 2.0; };
    const double l = norm_cdf((a - mean) / std);
    const double u = norm_cdf((b - mean) / std);
    t->uniform_(2 * l - 1, 2 * u - 1);
    t->erfinv_();
    t->mul_(std * std::sqrt(2.0));
    t->add_(mean);
    t->clamp_(a, b);
    return 0;
  })
}

IXT_API int ixt_normal_(TensorH t, double mean, double std) {
  IXT_TRY(-1, {
    at::NoGradGuard no_grad;
    t->normal_(mean, std);
    return 0;
  })
}

IXT_API int ixt_uniform_(TensorH t, double from, double to) {
  IXT_TRY(-1, {
    at::NoGradGuard no_grad;
    t->uniform_(from, to);
    return 0;
  })
}

// In-place a += alpha * b (no autograd), used by manual updates.
IXT_API int ixt_add_(TensorH a, TensorH b, double alpha) {
  IXT_TRY(-1, {
    at::NoGradGuard no_grad;
    a->add_(*b, alpha);
    return 0;
  })
}

IXT_API int ixt_mul_scalar_(TensorH a, double s) {
  IXT_TRY(-1, {
    at::NoGradGuard no_grad;
    a->mul_(s);
    return 0;
  })
}

IXT_API int ixt_add_scalar_(TensorH a, double s) {
  IXT_TRY(-1, {
    at::NoGradGuard no_grad;
    // An integral tensor (e.g. BN's num_batches_tracked) needs an integral scalar.
    if (c10::isIntegralType(a->scalar_type(), /*includeBool=*/false))
      a->add_(static_cast<int64_t>(s));
    else
      a->add_(s);
    return 0;
  })
}
