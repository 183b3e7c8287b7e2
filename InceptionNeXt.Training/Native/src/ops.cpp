// Element-wise, reduction and shape operations. Op codes match the C# enums in TorchNative.cs.
#include "shim.h"

// 0 add, 1 sub, 2 mul, 3 div, 4 pow, 5 maximum, 6 minimum, 7 eq, 8 ne, 9 lt, 10 le, 11 gt, 12 ge
IXT_API TensorH ixt_binary(int op, TensorH a, TensorH b) {
  IXT_TRY(nullptr, {
    const auto& x = *a;
    const auto& y = *b;
    switch (op) {
      case 0: return ixt::wrap(x + y);
      case 1: return ixt::wrap(x - y);
      case 2: return ixt::wrap(x * y);
      case 3: return ixt::wrap(x / y);
      case 4: return ixt::wrap(x.pow(y));
      case 5: return ixt::wrap(at::maximum(x, y));
      case 6: return ixt::wrap(at::minimum(x, y));
      case 7: return ixt::wrap(x.eq(y));
      case 8: return ixt::wrap(x.ne(y));
      case 9: return ixt::wrap(x.lt(y));
      case 10: return ixt::wrap(x.le(y));
      case 11: return ixt::wrap(x.gt(y));
      case 12: return ixt::wrap(x.ge(y));
    }
    throw std::invalid_argument("unknown binary op " + std::to_string(op));
  })
}

// 0 add, 1 sub, 2 mul, 3 div, 4 pow, 5 rsub (s - x), 6 eq, 7 lt, 8 gt, 9 clamp_min, 10 clamp_max
IXT_API TensorH ixt_scalar(int op, TensorH a, double s) {
  IXT_TRY(nullptr, {
    const auto& x = *a;
    switch (op) {
      case 0: return ixt::wrap(x + s);
      case 1: return ixt::wrap(x - s);
      case 2: return ixt::wrap(x * s);
      case 3: return ixt::wrap(x / s);
      case 4: return ixt::wrap(x.pow(s));
      case 5: return ixt::wrap(at::rsub(x, s));
      case 6: return ixt::wrap(x.eq(s));
      case 7: return ixt::wrap(x.lt(s));
      case 8: return ixt::wrap(x.gt(s));
      case 9: return ixt::wrap(x.clamp_min(s));
      case 10: return ixt::wrap(x.clamp_max(s));
    }
    throw std::invalid_argument("unknown scalar op " + std::to_string(op));
  })
}

// 0 neg, 1 exp, 2 log, 3 sqrt, 4 abs, 5 relu, 6 gelu (erf), 7 gelu (tanh), 8 sigmoid, 9 tanh,
// 10 sign, 11 square, 12 rsqrt, 13 logical_not, 14 floor, 15 isfinite
IXT_API TensorH ixt_unary(int op, TensorH a) {
  IXT_TRY(nullptr, {
    const auto& x = *a;
    switch (op) {
      case 0: return ixt::wrap(x.neg());
      case 1: return ixt::wrap(x.exp());
      case 2: return ixt::wrap(x.log());
      case 3: return ixt::wrap(x.sqrt());
      case 4: return ixt::wrap(x.abs());
      case 5: return ixt::wrap(at::relu(x));
      case 6: return ixt::wrap(at::gelu(x));
      case 7: return ixt::wrap(at::gelu(x, "tanh"));
      case 8: return ixt::wrap(x.sigmoid());
      case 9: return ixt::wrap(x.tanh());
      case 10: return ixt::wrap(x.sign());
      case 11: return ixt::wrap(x.square());
      case 12: return ixt::wrap(x.rsqrt());
      case 13: return ixt::wrap(x.logical_not());
      case 14: return ixt::wrap(x.floor());
      case 15: return ixt::wrap(x.isfinite());
    }
    throw std::invalid_argument("unknown unary op " + std::to_string(op));
  })
}

// 0 sum, 1 mean, 2 amax, 3 amin, 4 std (unbiased), 5 var (unbiased). ndim == 0 reduces everything.
IXT_API TensorH ixt_reduce(int op, TensorH a, const int64_t* dims, int ndim, int keepdim) {
  IXT_TRY(nullptr, {
    const auto& x = *a;
    const bool keep = keepdim != 0;
    std::vector<int64_t> all;
    at::IntArrayRef d = ixt::dims(dims, ndim);
    if (ndim == 0) {
      for (int64_t i = 0; i < x.dim(); ++i) all.push_back(i);
      d = all;
    }
    switch (op) {
      case 0: return ixt::wrap(ndim == 0 && !keep ? x.sum() : x.sum(d, keep));
      case 1: return ixt::wrap(ndim == 0 && !keep ? x.mean() : x.mean(d, keep));
      case 2: return ixt::wrap(x.amax(d, keep));
      case 3: return ixt::wrap(x.amin(d, keep));
      case 4: return ixt::wrap(x.std(d, /*unbiased=*/true, keep));
      case 5: return ixt::wrap(x.var(d, /*unbiased=*/true, keep));
    }
    throw std::invalid_argument("unknown reduction " + std::to_string(op));
  })
}

IXT_API TensorH ixt_argmax(TensorH a, int64_t dim, int keepdim) {
  IXT_TRY(nullptr, { return ixt::wrap(a->argmax(dim, keepdim != 0)); })
}

IXT_API int ixt_topk(TensorH a, int64_t k, int64_t dim, TensorH* values, TensorH* indices) {
  IXT_TRY(-1, {
    auto r = a->topk(k, dim);
    *values = ixt::wrap(std::get<0>(r));
    *indices = ixt::wrap(std::get<1>(r));
    return 0;
  })
}

IXT_API TensorH ixt_reshape(TensorH a, const int64_t* shape, int ndim) {
  IXT_TRY(nullptr, { return ixt::wrap(a->reshape(ixt::dims(shape, ndim))); })
}

IXT_API TensorH ixt_permute(TensorH a, const int64_t* order, int ndim) {
  IXT_TRY(nullptr, { return ixt::wrap(a->permute(ixt::dims(order, ndim))); })
}

IXT_API TensorH ixt_transpose(TensorH a, int64_t d0, int64_t d1) {
  IXT_TRY(nullptr, { return ixt::wrap(a->transpose(d0, d1)); })
}

IXT_API TensorH ixt_flatten(TensorH a, int64_t start, int64_t end) {
  IXT_TRY(nullptr, { return ixt::wrap(a->flatten(start, end)); })
}

IXT_API TensorH ixt_unsqueeze(TensorH a, int64_t dim) {
  IXT_TRY(nullptr, { return ixt::wrap(a->unsqueeze(dim)); })
}

IXT_API TensorH ixt_squeeze(TensorH a, int64_t dim) {
  IXT_TRY(nullptr, { return ixt::wrap(a->squeeze(dim)); })
}

IXT_API TensorH ixt_narrow(TensorH a, int64_t dim, int64_t start, int64_t length) {
  IXT_TRY(nullptr, { return ixt::wrap(a->narrow(dim, start, length)); })
}

IXT_API TensorH ixt_index_select(TensorH a, int64_t dim, TensorH index) {
  IXT_TRY(nullptr, { return ixt::wrap(a->index_select(dim, *index)); })
}

IXT_API TensorH ixt_expand(TensorH a, const int64_t* shape, int ndim) {
  IXT_TRY(nullptr, { return ixt::wrap(a->expand(ixt::dims(shape, ndim))); })
}

IXT_API TensorH ixt_flip(TensorH a, const int64_t* dims, int ndim) {
  IXT_TRY(nullptr, { return ixt::wrap(a->flip(ixt::dims(dims, ndim))); })
}

IXT_API TensorH ixt_where(TensorH condition, TensorH a, TensorH b) {
  IXT_TRY(nullptr, { return ixt::wrap(at::where(*condition, *a, *b)); })
}

// Splits along `dim` into pieces of the given sizes; writes `count` new handles to `out`.
IXT_API int ixt_split(TensorH a, const int64_t* sizes, int count, int64_t dim, TensorH* out) {
  IXT_TRY(-1, {
    auto parts = a->split_with_sizes(ixt::dims(sizes, count), dim);
    for (int i = 0; i < count; ++i) out[i] = ixt::wrap(parts[static_cast<size_t>(i)]);
    return 0;
  })
}

IXT_API TensorH ixt_cat(const TensorH* tensors, int count, int64_t dim) {
  IXT_TRY(nullptr, { return ixt::wrap(at::cat(ixt::unwrap_list(tensors, count), dim)); })
}

IXT_API TensorH ixt_stack(const TensorH* tensors, int count, int64_t dim) {
  IXT_TRY(nullptr, { return ixt::wrap(at::stack(ixt::unwrap_list(tensors, count), dim)); })
}

IXT_API TensorH ixt_matmul(TensorH a, TensorH b) {
  IXT_TRY(nullptr, { return ixt::wrap(at::matmul(*a, *b)); })
}

IXT_API TensorH ixt_one_hot(TensorH a, int64_t num_classes) {
  IXT_TRY(nullptr, { return ixt::wrap(at::one_hot(*a, num_classes)); })
}
