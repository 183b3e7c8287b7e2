// Optimizer steps over whole parameter lists in one native call: the state tensors are owned by
// C# (so checkpoints can save them) and the maths follows PyTorch's single-tensor implementations.
#include "shim.h"

#include <cmath>

// AdamW (torch.optim.AdamW, amsgrad=False). weight_decay is per parameter (0 for biases/norms).
IXT_API int ixt_adamw_step(const TensorH* params, const TensorH* exp_avgs, const TensorH* exp_avg_sqs, int count,
                           double lr, double beta1, double beta2, double eps, const double* weight_decay,
                           int64_t step) {
  IXT_TRY(-1, {
    at::NoGradGuard no_grad;
    const double bias_correction1 = 1.0 - std::pow(beta1, static_cast<double>(step));
    const double bias_correction2_sqrt = std::sqrt(1.0 - std::pow(beta2, static_cast<double>(step)));
    const double step_size = lr / bias_correction1;
    for (int i = 0; i < count; ++i) {
      auto& param = *params[i];
      const auto& grad = param.grad();
      if (!grad.defined()) continue;
      auto& exp_avg = *exp_avgs[i];
      auto& exp_avg_sq = *exp_avg_sqs[i];
      if (weight_decay[i] != 0.0) param.mul_(1.0 - lr * weight_decay[i]);
      exp_avg.lerp_(grad, 1.0 - beta1);
      exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1.0 - beta2);
      auto denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps);
      param.addcdiv_(exp_avg, denom, -step_size);
    }
    return 0;
  })
}

// SGD with momentum / Nesterov and L2 weight decay (torch.optim.SGD). Momentum buffers start as
// zeros created by the caller; `first_step` makes the first update copy the gradient, as PyTorch does.
IXT_API int ixt_sgd_step(const TensorH* params, const TensorH* momentum_buffers, int count, double lr,
                         double momentum, double dampening, const double* weight_decay, int nesterov,
                         int first_step) {
  IXT_TRY(-1, {
    at::NoGradGuard no_grad;
    for (int i = 0; i < count; ++i) {
      auto& param = *params[i];
      const auto& g = param.grad();
      if (!g.defined()) continue;
      auto grad = weight_decay[i] != 0.0 ? g.add(param, weight_decay[i]) : g;
      if (momentum != 0.0) {
        auto& buf = *momentum_buffers[i];
        if (first_step)
          buf.copy_(grad);
        else
          buf.mul_(momentum).add_(grad, 1.0 - dampening);
        grad = nesterov ? grad.add(buf, momentum) : buf;
      }
      param.add_(grad, -lr);
    }
    return 0;
  })
}

// Scales gradients so their global norm is at most max_norm (torch.nn.utils.clip_grad_norm_).
IXT_API int ixt_clip_grad_norm(const TensorH* params, int count, double max_norm, double norm_type,
                               double* total_norm) {
  IXT_TRY(-1, {
    at::NoGradGuard no_grad;
    std::vector<at::Tensor> norms;
    for (int i = 0; i < count; ++i) {
      const auto& g = params[i]->grad();
      if (g.defined()) norms.push_back(std::isinf(norm_type) ? g.abs().max() : g.norm(norm_type));
    }
    if (norms.empty()) {
      *total_norm = 0.0;
      return 0;
    }
    auto stacked = at::stack(norms);
    auto total = std::isinf(norm_type) ? stacked.max() : stacked.norm(norm_type);
    *total_norm = total.item<double>();
    const double coef = max_norm / (*total_norm + 1e-6);
    if (coef < 1.0)
      for (int i = 0; i < count; ++i) {
        auto g = params[i]->grad();
        if (g.defined()) g.mul_(coef);
      }
    return 0;
  })
}

// Model EMA: ema = decay * ema + (1 - decay) * value for floating tensors; plain copy otherwise.
IXT_API int ixt_ema_update(const TensorH* ema, const TensorH* model, int count, double decay) {
  IXT_TRY(-1, {
    at::NoGradGuard no_grad;
    for (int i = 0; i < count; ++i) {
      if (ema[i]->is_floating_point())
        ema[i]->lerp_(*model[i], 1.0 - decay);
      else
        ema[i]->copy_(*model[i]);
    }
    return 0;
  })
}
