// Elementwise family: dtype conversion, every pair of dtypes (to bool: != 0, NaN is true; float
// to integer: truncate and wrap as a JS typed-array store; via float32 to float16/bfloat16).
#include <string>

#include "elementwise.h"

namespace tensile {

using namespace ew;

namespace {

// ---------------------------------------------------------------- cast

template <DType SD, DType TD>
inline S_t<TD> cast_one(S_t<SD> v) {
  const auto c = Tr<SD>::load(v);
  if constexpr (TD == DType::Bool) return c != 0;  // NaN -> true, as the JS backend
  else if constexpr (SD == TD) return v;
  else return Tr<TD>::store(c);
}

template <DType SD, DType TD>
void cast_kernel(const View& x, void* outp) {
  using S = S_t<SD>;
  using O = S_t<TD>;
  O* out = static_cast<O*>(outp);
  const S* in = x.ptr<S>();
  int64_t ostr[kMaxDims];
  contiguous_strides(x.ndim, x.shape, ostr);
  const int64_t* strides[2] = {ostr, x.strides};
  StridedLoop<2> L(x.ndim, x.shape, strides);
  for_range(L.numel, kGrainCheap, [&](int64_t b, int64_t e) {
    L.run(b, e, [&](const int64_t* off, int64_t n, const int64_t* st) {
      O* o = out + off[0];
      const S* p = in + off[1];
      const int64_t s = st[1];
      if (s == 1)
        for (int64_t j = 0; j < n; j++) o[j] = cast_one<SD, TD>(p[j]);
      else
        for (int64_t j = 0; j < n; j++) o[j] = cast_one<SD, TD>(p[j * s]);
    });
  });
}

}  // namespace

void k_cast(const View& x, void* out, DType to) {
  check_ndim(x, "cast");
  dispatch_dtype(x.dtype, [&](auto sd) {
    dispatch_dtype(to, [&](auto td) { cast_kernel<decltype(sd)::value, decltype(td)::value>(x, out); });
  });
}

}  // namespace tensile
