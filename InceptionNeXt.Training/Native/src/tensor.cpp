// Tensor lifetime, creation, metadata and host transfer.
#include "shim.h"

#include <cstring>

namespace {
at::TensorOptions options(int dtype, int device_type, int device_index) {
  return at::TensorOptions().dtype(ixt::to_scalar_type(dtype)).device(ixt::to_device(device_type, device_index));
}
}  // namespace

IXT_API void ixt_tensor_free(TensorH t) { delete t; }

// Copies `nbytes` of host memory into a new tensor (so the caller's buffer may be freed at once).
IXT_API TensorH ixt_tensor_from_host(const void* data, int64_t nbytes, const int64_t* shape, int ndim, int dtype,
                                     int device_type, int device_index) {
  IXT_TRY(nullptr, {
    auto cpu = at::empty(ixt::dims(shape, ndim), at::TensorOptions().dtype(ixt::to_scalar_type(dtype)));
    const int64_t expected = cpu.numel() * static_cast<int64_t>(cpu.element_size());
    if (expected != nbytes)
      throw std::invalid_argument("buffer holds " + std::to_string(nbytes) + " bytes but the shape needs " +
                                  std::to_string(expected));
    if (nbytes > 0) std::memcpy(cpu.data_ptr(), data, static_cast<size_t>(nbytes));
    return ixt::wrap(device_type == 0 ? cpu : cpu.to(ixt::to_device(device_type, device_index)));
  })
}

// kind: 0 empty, 1 zeros, 2 ones, 3 full(value), 4 randn, 5 rand, 6 randint [0, value)
IXT_API TensorH ixt_tensor_new(int kind, const int64_t* shape, int ndim, double value, int dtype, int device_type,
                               int device_index, int requires_grad) {
  IXT_TRY(nullptr, {
    auto o = options(dtype, device_type, device_index);
    auto size = ixt::dims(shape, ndim);
    at::Tensor t;
    switch (kind) {
      case 0: t = at::empty(size, o); break;
      case 1: t = at::zeros(size, o); break;
      case 2: t = at::ones(size, o); break;
      case 3: t = at::full(size, value, o); break;
      case 4: t = at::randn(size, o); break;
      case 5: t = at::rand(size, o); break;
      case 6: t = at::randint(static_cast<int64_t>(value), size, o); break;
      default: throw std::invalid_argument("unknown creation kind " + std::to_string(kind));
    }
    if (requires_grad) t.set_requires_grad(true);
    return ixt::wrap(t);
  })
}

IXT_API int ixt_tensor_ndim(TensorH t) { return static_cast<int>(t->dim()); }

IXT_API int ixt_tensor_shape(TensorH t, int64_t* out) {
  IXT_TRY(-1, {
    auto sizes = t->sizes();
    for (size_t i = 0; i < sizes.size(); ++i) out[i] = sizes[i];
    return 0;
  })
}

IXT_API int64_t ixt_tensor_numel(TensorH t) { return t->numel(); }

IXT_API int ixt_tensor_dtype(TensorH t) {
  IXT_TRY(-1, { return ixt::from_scalar_type(t->scalar_type()); })
}

IXT_API int ixt_tensor_device_type(TensorH t) { return t->is_cuda() ? 1 : t->is_meta() ? 2 : 0; }

IXT_API int ixt_tensor_device_index(TensorH t) { return t->is_cuda() ? t->device().index() : -1; }

IXT_API int ixt_tensor_requires_grad(TensorH t) { return t->requires_grad() ? 1 : 0; }

IXT_API int ixt_tensor_set_requires_grad(TensorH t, int requires_grad) {
  IXT_TRY(-1, {
    t->set_requires_grad(requires_grad != 0);
    return 0;
  })
}

IXT_API int ixt_tensor_is_contiguous(TensorH t) { return t->is_contiguous() ? 1 : 0; }

// Returns 0 with *out = nullptr when the gradient is not defined.
IXT_API int ixt_tensor_grad(TensorH t, TensorH* out) {
  IXT_TRY(-1, {
    const auto& g = t->grad();
    *out = g.defined() ? ixt::wrap(g) : nullptr;
    return 0;
  })
}

// Copies the tensor (converted to `dtype`, moved to the CPU, made contiguous) into caller memory.
IXT_API int ixt_tensor_to_host(TensorH t, void* dst, int64_t nbytes, int dtype) {
  IXT_TRY(-1, {
    at::NoGradGuard no_grad;
    auto cpu = t->detach().to(at::kCPU, ixt::to_scalar_type(dtype)).contiguous();
    const int64_t have = cpu.numel() * static_cast<int64_t>(cpu.element_size());
    if (have != nbytes)
      throw std::invalid_argument("destination holds " + std::to_string(nbytes) + " bytes but the tensor has " +
                                  std::to_string(have));
    if (nbytes > 0) std::memcpy(dst, cpu.data_ptr(), static_cast<size_t>(nbytes));
    return 0;
  })
}

IXT_API int ixt_tensor_item(TensorH t, double* out) {
  IXT_TRY(-1, {
    *out = t->item<double>();
    return 0;
  })
}

IXT_API TensorH ixt_tensor_to(TensorH t, int dtype, int device_type, int device_index, int copy) {
  IXT_TRY(nullptr, {
    return ixt::wrap(t->to(ixt::to_device(device_type, device_index), ixt::to_scalar_type(dtype),
                           /*non_blocking=*/false, copy != 0));
  })
}

// memory_format: 0 contiguous (NCHW), 1 channels-last (NHWC strides).
IXT_API TensorH ixt_tensor_contiguous(TensorH t, int memory_format) {
  IXT_TRY(nullptr, {
    return ixt::wrap(t->contiguous(memory_format == 1 ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous));
  })
}

IXT_API TensorH ixt_tensor_clone(TensorH t) {
  IXT_TRY(nullptr, { return ixt::wrap(t->clone()); })
}

IXT_API TensorH ixt_tensor_detach(TensorH t) {
  IXT_TRY(nullptr, { return ixt::wrap(t->detach()); })
}

IXT_API TensorH ixt_tensor_alias(TensorH t) {
  IXT_TRY(nullptr, { return ixt::wrap(*t); })
}

// Swaps the data behind a handle in place (PyTorch's `param.data = ...`), so every holder of the
// handle (optimizers, modules) sees the moved tensor.
IXT_API int ixt_tensor_set_data(TensorH t, TensorH src) {
  IXT_TRY(-1, {
    t->set_data(*src);
    return 0;
  })
}
