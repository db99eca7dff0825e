// The N-API layer (node-addon-api): unpacks arguments into View structs and calls the kernels
// in kernels.h; no kernel logic here. To keep the per-call cost low, kernel arguments travel in
// one Float64Array shared with JS (`scratch()`, native memory): buffers are passed as their
// addresses, and a view is packed as [ptr, dtype, ndim, offset, shape..., strides...]. The
// packing side is src/native.ts; the two must agree.
//
// Kernel errors become JS errors: KernelRangeError -> RangeError, KernelTypeError -> TypeError,
// anything else -> Error.
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "common.h"
#include "dtype.h"
#include "kernels.h"
#include "pool.h"
#include "threadpool.h"

namespace tensile {

namespace {

constexpr size_t kScratchDoubles = 1024;

struct Reader {
  const double* m;
  size_t i = 0;
  double f() { return m[i++]; }
  int64_t l() { return int64_t(m[i++]); }
  int32_t n() { return int32_t(m[i++]); }
  void* p() { return reinterpret_cast<void*>(uintptr_t(m[i++])); }
  DType dt() {
    const int32_t d = n();
    if (d < 0 || d > int32_t(DType::Bool)) throw KernelTypeError("bad dtype code " + std::to_string(d));
    return DType(d);
  }
  View view() {
    View v;
    v.data = p();
    v.dtype = dt();
    v.ndim = n();
    v.offset = l();
    if (v.ndim < 0 || v.ndim > kMaxDims)
      throw KernelRangeError("cpu: tensors of rank " + std::to_string(v.ndim) + " are not supported (at most " +
                             std::to_string(kMaxDims) + " dims)");
    for (int d = 0; d < v.ndim; d++) v.shape[d] = l();
    for (int d = 0; d < v.ndim; d++) v.strides[d] = l();
    return v;
  }
};

void* as_ptr(const Napi::Value& v) { return reinterpret_cast<void*>(uintptr_t(v.As<Napi::Number>().DoubleValue())); }
double from_ptr(void* p) { return double(reinterpret_cast<uintptr_t>(p)); }

class CpuAddon : public Napi::Addon<CpuAddon> {
 public:
  CpuAddon(Napi::Env env, Napi::Object exports) {
    scratch_ = new double[kScratchDoubles]();  // lives as long as the process (JS holds a view)
    guard(env, [&] {
      active_isa();   // validates TENSILE_CPU_ISA
      num_threads();  // validates TENSILE_NUM_THREADS, starts the pool
      pool::stats();  // validates TENSILE_CPU_POOL_BYTES
    });
    DefineAddon(exports, {
        InstanceMethod("scratch", &CpuAddon::Scratch),
        InstanceMethod("alloc", &CpuAddon::Alloc),
        InstanceMethod("free", &CpuAddon::Free),
        InstanceMethod("view", &CpuAddon::ViewOf),
        InstanceMethod("write", &CpuAddon::Write),
        InstanceMethod("readHalf", &CpuAddon::ReadHalf),
        InstanceMethod("fill", &CpuAddon::Fill),
        InstanceMethod("arange", &CpuAddon::Arange),
        InstanceMethod("random", &CpuAddon::Random),
        InstanceMethod("copy", &CpuAddon::Copy),
        InstanceMethod("cast", &CpuAddon::Cast),
        InstanceMethod("unary", &CpuAddon::Unary),
        InstanceMethod("binary", &CpuAddon::Binary),
        InstanceMethod("where", &CpuAddon::Where),
        InstanceMethod("reduce", &CpuAddon::Reduce),
        InstanceMethod("cumsum", &CpuAddon::Cumsum),
        InstanceMethod("matmul", &CpuAddon::Matmul),
        InstanceMethod("gather", &CpuAddon::Gather),
        InstanceMethod("scatterAdd", &CpuAddon::ScatterAdd),
        InstanceMethod("softmax", &CpuAddon::Softmax),
        InstanceMethod("gelu", &CpuAddon::Gelu),
        InstanceMethod("relu", &CpuAddon::Relu),
        InstanceMethod("reluBackward", &CpuAddon::ReluBackward),
        InstanceMethod("layerNorm", &CpuAddon::LayerNorm),
        InstanceMethod("crossEntropy", &CpuAddon::CrossEntropy),
        InstanceMethod("embedding", &CpuAddon::Embedding),
        InstanceMethod("scaledDotProductAttention", &CpuAddon::ScaledDotProductAttention),
        InstanceMethod("scaledDotProductAttentionBackward", &CpuAddon::ScaledDotProductAttentionBackward),
        InstanceMethod("memoryInfo", &CpuAddon::MemoryInfo),
        InstanceMethod("trim", &CpuAddon::Trim),
        InstanceMethod("setPoolLimit", &CpuAddon::SetPoolLimit),
        InstanceMethod("info", &CpuAddon::Info),
        InstanceMethod("setNumThreads", &CpuAddon::SetNumThreads),
        InstanceMethod("fusedOptim", &CpuAddon::FusedOptim),
        InstanceMethod("conv2d", &CpuAddon::Conv2d),
        InstanceMethod("conv2dBackwardInput", &CpuAddon::Conv2dBackwardInput),
        InstanceMethod("conv2dBackwardWeight", &CpuAddon::Conv2dBackwardWeight),
        InstanceMethod("maxPool2d", &CpuAddon::MaxPool2d),
        InstanceMethod("maxPool2dBackward", &CpuAddon::MaxPool2dBackward),
        InstanceMethod("avgPool2d", &CpuAddon::AvgPool2d),
        InstanceMethod("avgPool2dBackward", &CpuAddon::AvgPool2dBackward),
    });
  }

 private:
  double* scratch_;

  template <class F>
  static auto guard(Napi::Env env, F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const KernelRangeError& e) {
      throw Napi::RangeError::New(env, e.what());
    } catch (const KernelTypeError& e) {
      throw Napi::TypeError::New(env, e.what());
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::bad_alloc&) {
      throw Napi::Error::New(env, "cpu: out of memory");
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

  Reader reader() const { return Reader{scratch_}; }

  Napi::Value Scratch(const Napi::CallbackInfo& info) {
    return Napi::ArrayBuffer::New(info.Env(), scratch_, kScratchDoubles * sizeof(double));
  }

  Napi::Value Alloc(const Napi::CallbackInfo& info) {
    const double bytes = info[0].As<Napi::Number>().DoubleValue();
    return guard(info.Env(), [&] {
      if (!(bytes >= 0) || bytes > 9.0e15) throw KernelRangeError("cpu: cannot allocate " + std::to_string(bytes) + " bytes");
      return Napi::Number::New(info.Env(), from_ptr(pool::alloc(size_t(bytes))));
    });
  }

  void Free(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] { pool::release(as_ptr(info[0])); });
  }

  // An ArrayBuffer over a buffer's memory (no copy); it holds a reference to the buffer until GC.
  Napi::Value ViewOf(const Napi::CallbackInfo& info) {
    void* p = as_ptr(info[0]);
    const size_t bytes = size_t(info[1].As<Napi::Number>().Int64Value());
    return guard(info.Env(), [&]() -> Napi::Value {
      if (bytes > pool::capacity(p)) throw KernelRangeError("cpu: view past the end of a buffer");
      pool::retain_view(p);
      return Napi::ArrayBuffer::New(info.Env(), p, bytes, [](Napi::Env, void* data) { pool::release_view(data); });
    });
  }

  // write(ptr, typedArray, dtype): copy host data in (float16/bfloat16 from a Float32Array).
  void Write(const Napi::CallbackInfo& info) {
    void* p = as_ptr(info[0]);
    Napi::TypedArray arr = info[1].As<Napi::TypedArray>();
    const DType dt = DType(info[2].As<Napi::Number>().Int32Value());
    guard(info.Env(), [&] {
      const size_t n = arr.ElementLength();
      const uint8_t* src = static_cast<const uint8_t*>(arr.ArrayBuffer().Data()) + arr.ByteOffset();
      if (n * itemsize(dt) > pool::capacity(p)) throw KernelRangeError("write: data larger than the buffer");
      if (dt == DType::F16 || dt == DType::BF16) {
        if (arr.TypedArrayType() != napi_float32_array) throw KernelTypeError("write: float16/bfloat16 data must be a Float32Array");
        const float* f = reinterpret_cast<const float*>(src);
        uint16_t* o = static_cast<uint16_t*>(p);
        if (dt == DType::F16)
          for (size_t i = 0; i < n; i++) o[i] = f32_to_f16(f[i]);
        else
          for (size_t i = 0; i < n; i++) o[i] = f32_to_bf16(f[i]);
        return;
      }
      if (arr.ByteLength() != n * itemsize(dt)) throw KernelTypeError(std::string("write: wrong typed array for ") + dtype_name(dt));
      if (n) std::memcpy(p, src, arr.ByteLength());
    });
  }

  // readHalf(ptr, dtype, out: Float32Array): widen float16/bfloat16 into out.
  void ReadHalf(const Napi::CallbackInfo& info) {
    const void* p = as_ptr(info[0]);
    const DType dt = DType(info[1].As<Napi::Number>().Int32Value());
    Napi::Float32Array out = info[2].As<Napi::Float32Array>();
    const size_t n = out.ElementLength();
    float* o = out.Data();
    const uint16_t* h = static_cast<const uint16_t*>(p);
    guard(info.Env(), [&] {
      if (dt != DType::F16 && dt != DType::BF16) throw KernelTypeError("readHalf: not a float16/bfloat16 buffer");
      if (n * 2 > pool::capacity(const_cast<void*>(p))) throw KernelRangeError("readHalf: read past the end of a buffer");
      if (dt == DType::F16)
        for (size_t i = 0; i < n; i++) o[i] = f16_to_f32(h[i]);
      else
        for (size_t i = 0; i < n; i++) o[i] = bf16_to_f32(h[i]);
    });
  }

  void Fill(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      void* out = r.p();
      const DType dt = r.dt();
      const int64_t numel = r.l();
      k_fill(out, dt, numel, r.f());
    });
  }

  void Arange(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      void* out = r.p();
      const DType dt = r.dt();
      const int64_t numel = r.l();
      const double start = r.f();
      k_arange(out, dt, numel, start, r.f());
    });
  }

  void Random(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      void* out = r.p();
      const DType dt = r.dt();
      const int64_t numel = r.l();
      const RandomKind kind = RandomKind(r.n());
      const uint32_t k0 = uint32_t(r.l()), k1 = uint32_t(r.l());
      k_random(out, dt, numel, kind, k0, k1, r.l());
    });
  }

  void Copy(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View src = r.view();
      k_copy(src, r.view());
    });
  }

  void Cast(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View x = r.view();
      void* out = r.p();
      k_cast(x, out, r.dt());
    });
  }

  void Unary(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const UnaryOp op = UnaryOp(r.n());
      const View x = r.view();
      k_unary(op, x, r.p());
    });
  }

  void Binary(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const BinaryOp op = BinaryOp(r.n());
      const View a = r.view();
      const View b = r.view();
      k_binary(op, a, b, r.p());
    });
  }

  void Where(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View c = r.view();
      const View a = r.view();
      const View b = r.view();
      k_where(c, a, b, r.p());
    });
  }

  void Reduce(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const ReduceOp op = ReduceOp(r.n());
      const int naxes = r.n();
      if (naxes < 0 || naxes > kMaxDims) throw KernelRangeError("reduce: too many axes");
      int axes[kMaxDims];
      for (int i = 0; i < naxes; i++) axes[i] = r.n();
      const View x = r.view();
      k_reduce(op, x, axes, naxes, r.p());
    });
  }

  void Cumsum(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const int dim = r.n();
      const View x = r.view();
      k_cumsum(x, dim, r.p());
    });
  }

  void Matmul(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View a = r.view();
      const View b = r.view();
      k_matmul(a, b, r.p());
    });
  }

  void Gather(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const int dim = r.n();
      const View x = r.view();
      const View index = r.view();
      k_gather(x, dim, index, r.p());
    });
  }

  void ScatterAdd(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      void* target = r.p();
      const int ndim = r.n();
      if (ndim < 0 || ndim > kMaxDims) throw KernelRangeError("scatterAdd: too many dims");
      int64_t shape[kMaxDims];
      for (int d = 0; d < ndim; d++) shape[d] = r.l();
      const int dim = r.n();
      const View index = r.view();
      const View src = r.view();
      k_scatter_add(target, ndim, shape, dim, index, src);
    });
  }

  // conv.cc / pooling.cc. Geometry: conv [sh, sw, ph, pw, dh, dw, groups, oh, ow];
  // pool [kh, kw, sh, sw, ph, pw, dh, dw, oh, ow].
  static Conv2dGeom conv_geom(Reader& r) {
    Conv2dGeom g;
    g.stride[0] = r.l(), g.stride[1] = r.l(), g.pad[0] = r.l(), g.pad[1] = r.l();
    g.dilation[0] = r.l(), g.dilation[1] = r.l(), g.groups = r.l(), g.out[0] = r.l(), g.out[1] = r.l();
    return g;
  }
  static Pool2dGeom pool_geom(Reader& r) {
    Pool2dGeom g;
    g.kernel[0] = r.l(), g.kernel[1] = r.l(), g.stride[0] = r.l(), g.stride[1] = r.l(), g.pad[0] = r.l();
    g.pad[1] = r.l(), g.dilation[0] = r.l(), g.dilation[1] = r.l(), g.out[0] = r.l(), g.out[1] = r.l();
    return g;
  }

  // [x][w] hasBias [bias] geom out
  void Conv2d(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View x = r.view();
      const View w = r.view();
      View bias;
      const bool has_bias = r.n() != 0;
      if (has_bias) bias = r.view();
      const Conv2dGeom g = conv_geom(r);
      k_conv2d(x, w, has_bias ? &bias : nullptr, g, r.p());
    });
  }

  // [dy][w] H W geom out
  void Conv2dBackwardInput(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View dy = r.view();
      const View w = r.view();
      const int64_t H = r.l(), W = r.l();
      const Conv2dGeom g = conv_geom(r);
      k_conv2d_backward_input(dy, w, H, W, g, r.p());
    });
  }

  // [dy][x] kh kw geom out gbias (0: none)
  void Conv2dBackwardWeight(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View dy = r.view();
      const View x = r.view();
      const int64_t kh = r.l(), kw = r.l();
      const Conv2dGeom g = conv_geom(r);
      void* out = r.p();
      k_conv2d_backward_weight(dy, x, kh, kw, g, out, r.p());
    });
  }

  // [x] geom values indices
  void MaxPool2d(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View x = r.view();
      const Pool2dGeom g = pool_geom(r);
      void* values = r.p();
      k_max_pool2d(x, g, values, r.p());
    });
  }

  // [dy][indices] H W out
  void MaxPool2dBackward(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View dy = r.view();
      const View ind = r.view();
      const int64_t H = r.l(), W = r.l();
      k_max_pool2d_backward(dy, ind, H, W, r.p());
    });
  }

  // [x] geom includePad divisor out
  void AvgPool2d(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View x = r.view();
      const Pool2dGeom g = pool_geom(r);
      const bool include = r.n() != 0;
      const double divisor = r.f();
      k_avg_pool2d(x, g, include, divisor, r.p());
    });
  }

  // [dy] geom H W includePad divisor out
  void AvgPool2dBackward(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View dy = r.view();
      const Pool2dGeom g = pool_geom(r);
      const int64_t H = r.l(), W = r.l();
      const bool include = r.n() != 0;
      const double divisor = r.f();
      k_avg_pool2d_backward(dy, g, H, W, include, divisor, r.p());
    });
  }

  // optim.cc: kind nviews nentries hyper[kOhCount], then per parameter: s0 s1 [view] x nviews
  void FusedOptim(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const int32_t kind = r.n();
      const int nviews = r.n(), nentries = r.n();
      if (kind < 0 || kind >= int32_t(OptimKind::Count)) throw KernelRangeError("fusedOptim: bad kind");
      if (nviews < 2 || nviews > 5 || nentries < 0) throw KernelRangeError("fusedOptim: bad entry layout");
      double hyper[kOhCount];
      for (int i = 0; i < kOhCount; i++) hyper[i] = r.f();
      std::vector<OptimEntry> entries(static_cast<size_t>(nentries));
      for (OptimEntry& e : entries) {
        e.s[0] = r.f();
        e.s[1] = r.f();
        for (int k = 0; k < nviews; k++) e.v[k] = r.view();
        if (r.i > kScratchDoubles) throw KernelRangeError("fusedOptim: arguments overflow the scratch area");
      }
      k_fused_optim(OptimKind(kind), hyper, nviews, entries.data(), nentries);
    });
  }

  // Fused overrides (softmax.cc, norm.cc, loss.cc, embedding.cc).
  // log dim [x] out
  void Softmax(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const bool log = r.n() != 0;
      const int dim = r.n();
      const View x = r.view();
      k_softmax(x, dim, log, r.p());
    });
  }

  // tanh [x] out
  void Gelu(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const bool tanh_approx = r.n() != 0;
      const View x = r.view();
      k_gelu(x, tanh_approx, r.p());
    });
  }

  // activation.cc: [x] out
  void Relu(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View x = r.view();
      k_relu(x, r.p());
    });
  }

  // [grad] [y] out
  void ReluBackward(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View g = r.view();
      const View y = r.view();
      k_relu_backward(g, y, r.p());
    });
  }

  // [x] n eps hasW [w] hasB [b] out
  void LayerNorm(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View x = r.view();
      const int64_t n = r.l();
      const double eps = r.f();
      View w, b;
      const bool has_w = r.n() != 0;
      if (has_w) w = r.view();
      const bool has_b = r.n() != 0;
      if (has_b) b = r.view();
      k_layer_norm(x, has_w ? &w : nullptr, has_b ? &b : nullptr, n, eps, r.p());
    });
  }

  // [x] [target] hasW [w] ignoreIndex smoothing reduction out
  void CrossEntropy(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View x = r.view();
      const View t = r.view();
      View w;
      const bool has_w = r.n() != 0;
      if (has_w) w = r.view();
      const int64_t ignore = r.l();
      const double smoothing = r.f();
      const int32_t red = r.n();
      if (red < 0 || red > 2) throw KernelRangeError("crossEntropy: bad reduction code");
      k_cross_entropy(x, t, has_w ? &w : nullptr, ignore, smoothing, CeReduction(red), r.p());
    });
  }

  // [weight] [index] out
  void Embedding(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View w = r.view();
      const View idx = r.view();
      k_embedding(w, idx, r.p());
    });
  }

  // [q] [k] [v] hasMask [mask] causal scale out lse-or-0 (attention.cc)
  void ScaledDotProductAttention(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View q = r.view();
      const View k = r.view();
      const View v = r.view();
      View m;
      const bool has_m = r.n() != 0;
      if (has_m) m = r.view();
      const bool causal = r.n() != 0;
      const double scale = r.f();
      void* out = r.p();
      k_sdpa(q, k, v, has_m ? &m : nullptr, causal, scale, out, r.p());
    });
  }

  // [grad] [q] [k] [v] lse hasMask [mask] causal scale dq dk dv (attention.cc)
  void ScaledDotProductAttentionBackward(const Napi::CallbackInfo& info) {
    guard(info.Env(), [&] {
      Reader r = reader();
      const View g = r.view();
      const View q = r.view();
      const View k = r.view();
      const View v = r.view();
      const void* lse = r.p();
      View m;
      const bool has_m = r.n() != 0;
      if (has_m) m = r.view();
      const bool causal = r.n() != 0;
      const double scale = r.f();
      void* dq = r.p();
      void* dk = r.p();
      void* dv = r.p();
      k_sdpa_backward(g, q, k, v, lse, has_m ? &m : nullptr, causal, scale, dq, dk, dv);
    });
  }

  Napi::Value MemoryInfo(const Napi::CallbackInfo& info) {
    const pool::Stats s = pool::stats();
    Napi::Object o = Napi::Object::New(info.Env());
    auto set = [&](const char* k, uint64_t v) { o.Set(k, Napi::Number::New(info.Env(), double(v))); };
    set("liveBytes", s.live_bytes);
    set("liveBuffers", s.live_buffers);
    set("requestedBytes", s.requested_bytes);
    set("viewBytes", s.view_bytes);
    set("viewBuffers", s.view_buffers);
    set("pooledBytes", s.pooled_bytes);
    set("pooledBuffers", s.pooled_buffers);
    set("hits", s.hits);
    set("misses", s.misses);
    set("limitBytes", s.limit_bytes);
    return o;
  }

  Napi::Value Trim(const Napi::CallbackInfo& info) {
    const double keep = info.Length() > 0 ? info[0].As<Napi::Number>().DoubleValue() : 0.0;
    return Napi::Number::New(info.Env(), double(pool::trim(uint64_t(keep < 0 ? 0 : keep))));
  }

  void SetPoolLimit(const Napi::CallbackInfo& info) {
    const double bytes = info[0].As<Napi::Number>().DoubleValue();
    pool::set_limit(uint64_t(bytes < 0 ? 0 : bytes));
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    o.Set("isa", isa_name(active_isa()));
    o.Set("detectedIsa", isa_name(detected_isa()));
    o.Set("threads", num_threads());
    Napi::Object libs = Napi::Object::New(env);
    libs.Set("avx2", isa_lib_avx2_level() == 1);
    libs.Set("avx512", isa_lib_avx512_level() == 2);
    o.Set("isaLibs", libs);
    // true only if the baseline files were compiled with AVX enabled (e.g. -march=native leaked in)
#if defined(__AVX__)
    o.Set("baselineAvx", true);
#else
    o.Set("baselineAvx", false);
#endif
#if defined(__SANITIZE_ADDRESS__)
    o.Set("sanitize", true);
#else
    o.Set("sanitize", false);
#endif
#if defined(__x86_64__)
    o.Set("arch", "x64");
#elif defined(__aarch64__)
    o.Set("arch", "arm64");
#else
    o.Set("arch", "other");
#endif
    return o;
  }

  void SetNumThreads(const Napi::CallbackInfo& info) {
    const int n = info[0].As<Napi::Number>().Int32Value();
    guard(info.Env(), [&] { set_num_threads(n); });
  }
};

}  // namespace

}  // namespace tensile

using TensileCpuAddon = tensile::CpuAddon;
NODE_API_ADDON(TensileCpuAddon)
