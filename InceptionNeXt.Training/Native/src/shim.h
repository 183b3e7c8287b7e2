// Shared declarations for the extern "C" shim over libtorch.
// Every exported function catches all C++ exceptions; the message is kept in a
// thread-local buffer (ixt_last_error) and the function returns an error value
// (nullptr for handles, -1 for status codes) that the C# side turns into an exception.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#define IXT_API extern "C" __attribute__((visibility("default")))

// A tensor handle is a heap-allocated at::Tensor (a ref-counted pointer to the storage).
typedef at::Tensor* TensorH;

namespace ixt {

void set_last_error(const std::string& message);
void clear_last_error();

// Element types as numbered by the C# enum ScalarType (stable across libtorch versions).
at::ScalarType to_scalar_type(int dtype);
int from_scalar_type(at::ScalarType type);
at::Device to_device(int device_type, int device_index);

inline TensorH wrap(at::Tensor t) { return new at::Tensor(std::move(t)); }
inline at::IntArrayRef dims(const int64_t* values, int count) {
  return at::IntArrayRef(values, static_cast<size_t>(count));
}
// Optional tensor arguments arrive as nullptr.
inline c10::optional<at::Tensor> opt(TensorH t) {
  return t ? c10::optional<at::Tensor>(*t) : c10::nullopt;
}
std::vector<at::Tensor> unwrap_list(const TensorH* tensors, int count);

}  // namespace ixt

// Wraps a body returning a value; on exception records the message and returns `fail`.
#define IXT_TRY(fail, body)                                   \
  try {                                                       \
    ixt::clear_last_error();                                  \
    body                                                      \
  } catch (const c10::Error& e) {                             \
    ixt::set_last_error(e.what_without_backtrace());          \
  } catch (const std::exception& e) {                         \
    ixt::set_last_error(e.what());                            \
  } catch (...) {                                             \
    ixt::set_last_error("unknown native error");              \
  }                                                           \
  return fail;
