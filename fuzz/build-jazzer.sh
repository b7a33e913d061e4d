#!/usr/bin/env bash
# Build Jazzer.js's native libFuzzer addon for this machine, and install it where @jazzer.js/fuzzer 4.0.0
# loads it from (node_modules/@jazzer.js/fuzzer/prebuilds/fuzzer-linux-x64.node).
#
# Why: the prebuilt addon in @jazzer.js/fuzzer@4.0.0 needs glibc 2.38 (__isoc23_strtol/strtoul);
# Debian 12 has 2.36. The 4.0.0 npm package ships no C++ sources, and Jazzer.js's CMake build downloads
# a patched LLVM (llvm-project-jazzer) from GitHub, which is out of reach here. So this script:
#   1. takes the addon's C++ sources from the @jazzer.js/fuzzer@2.1.0 npm tarball (`npm pack`);
#   2. links them against upstream libFuzzer from Debian (libclang-rt-16-dev:
#      libclang_rt.fuzzer_no_main-x86_64.a), through fuzz/jazzer/shim (stand-ins for the fork's
#      additions, plus registerModuleCounters, the one addon function 4.0.0's JavaScript adds);
#   3. compiles with g++ against Node's headers and node-addon-api (a dependency of @jazzer.js/fuzzer).
# The result is cached under node_modules/.cache/tunnelwire-jazzer, keyed by its inputs; a rerun with
# the same inputs only copies it. Takes ~1 minute on 2 cores when not cached.
#
# Usage: bash fuzz/build-jazzer.sh [--force]     (needs `npm install` with @jazzer.js/core@4.0.0 first)
# Env:   LIBFUZZER_A=/path/to/libclang_rt.fuzzer_no_main-x86_64.a   to use another libFuzzer archive.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
force=0
[ "${1:-}" = "--force" ] && force=1

fuzzer_pkg="$root/node_modules/@jazzer.js/fuzzer"
addon="$fuzzer_pkg/prebuilds/fuzzer-linux-x64.node"
shim="$root/fuzz/jazzer/shim"
src_version=2.1.0
cache="$root/node_modules/.cache/tunnelwire-jazzer"

log() { echo "build-jazzer: $*" >&2; }

if [ ! -d "$fuzzer_pkg" ]; then
  log "node_modules/@jazzer.js/fuzzer is missing: run npm install first (devDependency @jazzer.js/core@4.0.0)"
  exit 1
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  log "only Linux x86_64 is handled here; elsewhere the prebuilt addon may load as is"
  exit 1
fi

loads() { node -e 'require(process.argv[1])' "$1" 2>/dev/null; }

# A usable addon already in place (ours from an earlier run, or a prebuilt that loads on this glibc)?
if [ $force = 0 ] && loads "$fuzzer_pkg"; then
  log "@jazzer.js/fuzzer loads: nothing to do"
  exit 0
fi

# --- libFuzzer (upstream, from Debian) -----------------------------------------------------------
find_libfuzzer() {
  if [ -n "${LIBFUZZER_A:-}" ]; then echo "$LIBFUZZER_A"; return; fi
  { ls -1 /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a 2>/dev/null || true; } | sort -V | tail -1
}
libfuzzer=$(find_libfuzzer)
if [ -z "$libfuzzer" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing libclang-rt-16-dev (libFuzzer) with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends libclang-rt-16-dev >/dev/null \
      || { apt-get update >/dev/null && apt-get install -y --no-install-recommends libclang-rt-16-dev >/dev/null; }
    libfuzzer=$(find_libfuzzer)
  fi
fi
if [ -z "$libfuzzer" ] || [ ! -f "$libfuzzer" ]; then
  log "no libclang_rt.fuzzer_no_main-x86_64.a: apt-get install libclang-rt-16-dev (or set LIBFUZZER_A)"
  exit 1
fi

# --- headers -------------------------------------------------------------------------------------
node_inc=""
for d in "$(dirname "$(dirname "$(command -v node)")")/include/node" /usr/include/node /usr/local/include/node; do
  if [ -f "$d/node_api.h" ]; then node_inc=$d; break; fi
done
[ -n "$node_inc" ] || { log "Node's headers (node_api.h) not found"; exit 1; }
napi_inc=$(cd "$fuzzer_pkg" && node -p 'require("node-addon-api").include_dir' 2>/dev/null || true)
case "$napi_inc" in /*) ;; *) napi_inc="$(cd "$fuzzer_pkg" && node -p 'require("path").dirname(require.resolve("node-addon-api/napi.h"))')";; esac
[ -f "$napi_inc/napi.h" ] || { log "node-addon-api not found"; exit 1; }

# --- cache key -----------------------------------------------------------------------------------
key=$( {
  echo "src=$src_version"
  sha256sum "$libfuzzer" "$shim"/fuzzer/FuzzerDefs.h "$shim"/jazzer_shim.cpp "$0" | awk '{print $1}'
  g++ --version | head -1
  cat "$napi_inc/package.json" 2>/dev/null | grep '"version"' || true
} | sha256sum | cut -c1-16)
out="$cache/$key/fuzzer-linux-x64.node"

if [ $force = 1 ] || [ ! -f "$out" ]; then
  work="$cache/$key/work"
  rm -rf "$work"
  mkdir -p "$work"
  tgz="$cache/jazzer.js-fuzzer-$src_version.tgz"
  if [ ! -f "$tgz" ]; then
    log "fetching @jazzer.js/fuzzer@$src_version sources (npm pack)"
    (cd "$cache" && npm pack "@jazzer.js/fuzzer@$src_version" --silent >/dev/null)
  fi
  tar -xzf "$tgz" -C "$work"
  src="$work/package"
  # Register the shim's extra exports next to the addon's own.
  grep -q 'RegisterCallbackExports(env, exports);' "$src/addon.cpp" \
    || { log "unexpected addon.cpp in @jazzer.js/fuzzer@$src_version"; exit 1; }
  sed -i 's|^\(\s*\)RegisterCallbackExports(env, exports);|\1RegisterCallbackExports(env, exports);\n\1RegisterShimExports(env, exports);|' "$src/addon.cpp"
  sed -i '0,/^#include/s|^#include|void RegisterShimExports(Napi::Env env, Napi::Object exports);\n#include|' "$src/addon.cpp"
  sed -i '1i #include <napi.h>' "$src/addon.cpp"
  log "compiling against $(basename "$libfuzzer") ($libfuzzer)"
  cxxflags=(-std=c++17 -O2 -fPIC -fvisibility=hidden -fno-ipa-icf -DNAPI_VERSION=4 -DNAPI_CPP_EXCEPTIONS
            -I"$shim" -I"$node_inc" -I"$napi_inc")
  objs=()
  pids=()
  jobs=$(nproc 2>/dev/null || echo 2)
  for f in "$src"/*.cpp "$src"/shared/*.cpp "$shim"/jazzer_shim.cpp; do
    o="$work/$(basename "${f%.cpp}").o"
    objs+=("$o")
    g++ "${cxxflags[@]}" -c "$f" -o "$o" &
    pids+=($!)
    if [ ${#pids[@]} -ge "$jobs" ]; then wait "${pids[0]}"; pids=("${pids[@]:1}"); fi
  done
  for p in "${pids[@]}"; do wait "$p"; done
  g++ -shared -o "$work/fuzzer-linux-x64.node" "${objs[@]}" \
    -Wl,--whole-archive "$libfuzzer" -Wl,--no-whole-archive -lpthread -ldl
  cp "$work/fuzzer-linux-x64.node" "$out"
  rm -rf "$work"
fi

if [ -f "$addon" ] && [ ! -f "$addon.glibc238" ] && ! cmp -s "$addon" "$out"; then
  mv "$addon" "$addon.glibc238"   # keep the shipped prebuilt (it needs glibc 2.38)
fi
mkdir -p "$(dirname "$addon")"
cp "$out" "$addon"
if loads "$fuzzer_pkg"; then
  log "installed $addon (cache $key)"
else
  node -e 'require(process.argv[1])' "$fuzzer_pkg" || true
  log "built addon does not load"
  exit 1
fi
