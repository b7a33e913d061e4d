// Adapts Jazzer.js's native addon (the C++ sources shipped in the @jazzer.js/fuzzer@2.1.0 npm tarball) to
// an upstream libFuzzer (Debian's libclang-rt-16-dev), and adds the one addon function @jazzer.js 4.0.0's
// JavaScript needs that 2.1.0's C++ lacks (registerModuleCounters). Written for tunnelwire's fuzz/
// build (see fuzz/build-jazzer.sh and fuzz/README.md); not part of Jazzer.js.
//
// What Jazzer.js's own build gets from its patched libFuzzer fork (llvm-project-jazzer), and what stands
// in for it here:
//  - __jazzer_set_death_callback: the fork hands the addon libFuzzer's death callback (dump the crashing
//    input, print final stats) through it. Upstream libFuzzer offers the same callback to a
//    __sanitizer_set_death_callback if one is linked in; ours forwards it.
//  - __sanitizer_cov_trace_const_cmp8_with_pc / __sanitizer_cov_trace_pc_indir_with_pc: the fork takes
//    the "PC" (Jazzer.js's comparison-site id) as an argument; upstream reads the caller's return
//    address. We call upstream's hook from one of kSites distinct call sites chosen by the id, so
//    different JS comparison sites keep distinct PCs (value profile, indirect-call features).
//  - RETURN_EXIT (-2): the fork's fuzz loop returns when the callback returns -2 (a finding). Upstream
//    ignores the value and fuzzes on, so the wrapper below ends the process with Jazzer.js's finding
//    exit code (77) once the JavaScript side has printed the finding and dumped the crashing input.
//  - Normal ends (-runs, -max_total_time) exit(0) inside upstream's FuzzerDriver instead of returning to
//    JavaScript; the exit status is the same.
//  - Timeouts: upstream's SIGALRM handler only fires on libFuzzer's own thread, so use --sync (the
//    fuzz target runs on the main thread) to get -timeout hang detection.
#define JAZZER_SHIM_IMPL 1
#include "fuzzer/FuzzerDefs.h"

#include <napi.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <utility>

extern "C" {
void __jazzer_set_death_callback(void (*callback)());
void __sanitizer_cov_trace_const_cmp8(uint64_t arg1, uint64_t arg2);
void __sanitizer_cov_trace_pc_indir(uintptr_t callee);
void __sanitizer_cov_8bit_counters_init(uint8_t *start, uint8_t *end);
void __sanitizer_cov_pcs_init(const uintptr_t *pcs_beg, const uintptr_t *pcs_end);
}

// ---- death callback ------------------------------------------------------------------------------
extern "C" __attribute__((visibility("default"))) void __sanitizer_set_death_callback(void (*callback)()) {
  __jazzer_set_death_callback(callback);
}

// ---- comparison / indirect-call hooks with an explicit site id -------------------------------------
namespace {
constexpr std::size_t kSites = 1024;

template <std::size_t N>
__attribute__((noinline)) void CmpSite(uint64_t a, uint64_t b) {
  __sanitizer_cov_trace_const_cmp8(a, b);
  // Keep the call a real call (not a tail jump), so the return address upstream reads lies inside this
  // instantiation, and give every instantiation a different body so no pass folds them together.
  asm volatile("" : : "i"(N) : "memory");
}

template <std::size_t N>
__attribute__((noinline)) void IndirSite(uintptr_t callee) {
  __sanitizer_cov_trace_pc_indir(callee);
  asm volatile("" : : "i"(N) : "memory");
}

using CmpFn = void (*)(uint64_t, uint64_t);
using IndirFn = void (*)(uintptr_t);

template <std::size_t... I>
constexpr std::array<CmpFn, sizeof...(I)> CmpTable(std::index_sequence<I...>) {
  return {&CmpSite<I>...};
}
template <std::size_t... I>
constexpr std::array<IndirFn, sizeof...(I)> IndirTable(std::index_sequence<I...>) {
  return {&IndirSite<I>...};
}

const std::array<CmpFn, kSites> kCmpSites = CmpTable(std::make_index_sequence<kSites>{});
const std::array<IndirFn, kSites> kIndirSites = IndirTable(std::make_index_sequence<kSites>{});
} // namespace

extern "C" __attribute__((visibility("default"))) void
__sanitizer_cov_trace_const_cmp8_with_pc(uintptr_t called_pc, uint64_t arg1, uint64_t arg2) {
  kCmpSites[called_pc % kSites](arg1, arg2);
}

extern "C" __attribute__((visibility("default"))) void __sanitizer_cov_trace_pc_indir_with_pc(void *caller_pc,
                                                                                               uintptr_t callee) {
  kIndirSites[reinterpret_cast<uintptr_t>(caller_pc) % kSites](callee);
}

// ---- fuzz loop: stop on a finding ----------------------------------------------------------------
namespace {
constexpr int kReturnExit = -2;       // libfuzzer::RETURN_EXIT in the addon sources
constexpr int kFindingExitCode = 77;  // Jazzer.js FuzzingExitCode.Finding
fuzzer::UserCallback gUserCallback = nullptr;

int StopOnFinding(const uint8_t *data, size_t size) {
  int r = gUserCallback(data, size);
  if (r == kReturnExit) {
    // The JavaScript side has printed the finding and dumped the input (printAndDumpCrashingInput).
    std::cerr.flush();
    std::fflush(nullptr);
    std::_Exit(kFindingExitCode);
  }
  return r;
}
} // namespace

int fuzzer::JazzerShimFuzzerDriver(int *argc, char ***argv, UserCallback callback) {
  gUserCallback = callback;
  return fuzzer::FuzzerDriver(argc, argv, StopOnFinding);
}

// ---- registerModuleCounters (the @jazzer.js/fuzzer 4.x addon API used for ES modules) -------------
namespace {
struct PCTableEntry {
  uintptr_t pc, flags;
};
// Fake PCs for per-module counters, above the ones the shared CJS coverage map uses (0 .. 2^20).
uintptr_t gNextModulePC = uintptr_t{1} << 24;

void RegisterModuleCounters(const Napi::CallbackInfo &info) {
  if (info.Length() != 1 || !info[0].IsBuffer()) {
    throw Napi::Error::New(info.Env(), "registerModuleCounters: expected one Buffer");
  }
  auto buf = info[0].As<Napi::Buffer<uint8_t>>();
  const std::size_t n = buf.Length();
  if (n == 0) return;
  // libFuzzer keeps these pointers for the life of the process: the table is never freed, and the
  // JavaScript side keeps the Buffer alive (CoverageTracker.moduleCounters).
  auto *table = new PCTableEntry[n];
  for (std::size_t i = 0; i < n; ++i) table[i] = {gNextModulePC++, 0};
  __sanitizer_cov_8bit_counters_init(buf.Data(), buf.Data() + n);
  __sanitizer_cov_pcs_init(reinterpret_cast<const uintptr_t *>(table), reinterpret_cast<const uintptr_t *>(table + n));
}
} // namespace

void RegisterShimExports(Napi::Env env, Napi::Object exports) {
  exports["registerModuleCounters"] = Napi::Function::New<RegisterModuleCounters>(env);
}
