// Stand-in for compiler-rt's lib/fuzzer/FuzzerDefs.h, which Jazzer.js's addon sources include from the
// llvm-project-jazzer checkout its CMake build downloads from GitHub. Here libFuzzer comes from Debian's
// libclang-rt-16-dev (an upstream, unpatched build), so this header declares only what the addon uses and
// routes its FuzzerDriver call through the shim (jazzer_shim.cpp) that adapts upstream libFuzzer to the
// behaviour the addon expects from the patched fork.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fuzzer {
typedef int (*UserCallback)(const uint8_t *Data, size_t Size);
int FuzzerDriver(int *argc, char ***argv, UserCallback Callback);
// Implemented in jazzer_shim.cpp: wraps the callback, then calls FuzzerDriver.
int JazzerShimFuzzerDriver(int *argc, char ***argv, UserCallback Callback);
} // namespace fuzzer

#ifndef JAZZER_SHIM_IMPL
#define FuzzerDriver JazzerShimFuzzerDriver
#endif
