// Thread-local last error plus library-wide settings (seed, threads, grad mode, devices).
#include "shim.h"

namespace {
thread_local std::string last_error;
}

namespace ixt {
void set_last_error(const std::string& message) { last_error = message; }
void clear_last_error() { last_error.clear(); }

at::ScalarType to_scalar_type(int dtype) {
  switch (dtype) {
    case 0: return at::kFloat;
    case 1: return at::kDouble;
    case 2: return at::kHalf;
    case 3: return at::kBFloat16;
    case 4: return at::kLong;
    case 5: return at::kInt;
    case 6: return at::kShort;
    case 7: return at::kChar;
    case 8: return at::kByte;
    case 9: return at::kBool;
  }
  throw std::invalid_argument("unknown dtype code " + std::to_string(dtype));
}

int from_scalar_type(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return 0;
    case at::kDouble: return 1;
    case at::kHalf: return 2;
    case at::kBFloat16: return 3;
    case at::kLong: return 4;
    case at::kInt: return 5;
    case at::kShort: return 6;
    case at::kChar: return 7;
    case at::kByte: return 8;
    case at::kBool: return 9;
    default: throw std::invalid_argument(std::string("unsupported dtype ") + c10::toString(type));
  }
}

at::Device to_device(int device_type, int device_index) {
  if (device_type == 0) return at::Device(at::kCPU);
  if (device_type == 1) {
    if (!torch::cuda::is_available())
      throw std::runtime_error(
          "CUDA was requested but this libtorch has no CUDA support or no GPU is visible; "
          "build the shim against a CUDA libtorch (set INCEPTIONNEXT_TORCH_DIR) or use the cpu device");
    return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device_index));
  }
  // Meta tensors carry shapes only: used to inspect architectures without allocating weights.
  if (device_type == 2) return at::Device(at::kMeta);
  throw std::invalid_argument("unknown device type " + std::to_string(device_type));
}

std::vector<at::Tensor> unwrap_list(const TensorH* tensors, int count) {
  std::vector<at::Tensor> list;
  list.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    if (!tensors[i]) throw std::invalid_argument("tensor list element " + std::to_string(i) + " is null");
    list.push_back(*tensors[i]);
  }
  return list;
}
}  // namespace ixt

IXT_API const char* ixt_last_error() { return last_error.c_str(); }

IXT_API const char* ixt_torch_version() { return TORCH_VERSION; }

IXT_API int ixt_manual_seed(int64_t seed) {
  IXT_TRY(-1, {
    torch::manual_seed(static_cast<uint64_t>(seed));
    return 0;
  })
}

IXT_API int ixt_set_num_threads(int threads) {
  IXT_TRY(-1, {
    at::set_num_threads(threads);
    return 0;
  })
}

IXT_API int ixt_get_num_threads() { return at::get_num_threads(); }

IXT_API int ixt_cuda_is_available() { return torch::cuda::is_available() ? 1 : 0; }

IXT_API int ixt_cuda_device_count() { return static_cast<int>(torch::cuda::device_count()); }

IXT_API int ixt_cuda_synchronize(int device_index) {
  IXT_TRY(-1, {
    torch::cuda::synchronize(device_index);
    return 0;
  })
}

// Grad mode is thread-local in libtorch, as in PyTorch.
IXT_API int ixt_grad_enabled() { return c10::GradMode::is_enabled() ? 1 : 0; }

IXT_API void ixt_set_grad_enabled(int enabled) { c10::GradMode::set_enabled(enabled != 0); }

// Random-number generator state of a device's default generator (CPU: device_type 0), as torch.get_rng_state /
// torch.cuda.get_rng_state: a uint8 tensor that ixt_set_rng_state accepts back, so training can resume exactly.
IXT_API TensorH ixt_get_rng_state(int device_type, int device_index) {
  IXT_TRY(nullptr, {
    auto gen = at::globalContext().defaultGenerator(ixt::to_device(device_type, device_index));
    std::lock_guard<std::mutex> lock(gen.mutex());
    return ixt::wrap(gen.get_state());
  })
}

IXT_API int ixt_set_rng_state(int device_type, int device_index, TensorH state) {
  IXT_TRY(-1, {
    if (!state) throw std::invalid_argument("the RNG state tensor is null");
    auto gen = at::globalContext().defaultGenerator(ixt::to_device(device_type, device_index));
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(*state);
    return 0;
  })
}
