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
        InstanceMethod("memoryInfo", &CpuAddon::MemoryInfo),
        InstanceMethod("trim", &CpuAddon::Trim),
        InstanceMethod("setPoolLimit", &CpuAddon::SetPoolLimit),
        InstanceMethod("info", &CpuAddon::Info),
        InstanceMethod("setNumThreads", &CpuAddon::SetNumThreads),
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
