#!/usr/bin/env bash
# Builds llama.cpp's llama-server, the built-in chat runner Hoard starts on
# demand (`make llama`): llama.sh DIR [BIN].
#
# The source is the llama.cpp tree carried by PyPI's llama-cpp-python
# 0.3.36 source distribution (MIT; no GitHub needed), checked against a
# pinned sha256. The sdist is cached in DIR/.sdist; a stamp (DIR/.stamp:
# sha256 and cmake flags) makes a second run a no-op, so the long build
# (about 11 minutes on 2 cores) happens once per source and flags. The
# server is copied to BIN (default: bin/llama-server beside hoard) when it
# differs. Needs pip, cmake and a C/C++ compiler; extra cmake flags can be
# passed in LLAMA_CMAKE_FLAGS (they are part of the stamp).
set -euo pipefail

dir=${1:?usage: llama.sh DIR [BIN]}
root="$(cd "$(dirname "$0")/.." && pwd)"
bin=${2:-$root/bin/llama-server}
pkg=llama-cpp-python
ver=0.3.36
sha=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e
sdist=llama_cpp_python-$ver.tar.gz

die() { echo "llama: $*" >&2; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
cache=$dir/.sdist

# One static binary, no curl/OpenSSL (Hoard hands it a local file), no web
# UI (neither built with npm nor fetched from Hugging Face). GGML_NATIVE
# tunes ggml for this CPU, but without AMX: llama.cpp's AMX path segfaults
# at the first decode on Sapphire Rapids-class CPUs (llama.cpp issue
# #20824). GCC lets an explicit -mno-* win over -march=native's defaults.
noamx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
flags=(-DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON
  -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF
  -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
  "-DCMAKE_C_FLAGS=$noamx" "-DCMAKE_CXX_FLAGS=$noamx" -DCMAKE_BUILD_TYPE=Release)
# shellcheck disable=SC2206 # word splitting wanted
flags+=(${LLAMA_CMAKE_FLAGS:-})
stamp="$sha ${flags[*]}"
server=$dir/build/bin/llama-server

install_bin() {
  mkdir -p "$(dirname "$bin")"
  if ! cmp -s "$server" "$bin"; then
    cp "$server" "$bin.tmp" && mv "$bin.tmp" "$bin"
  fi
  echo "llama: llama-server in $bin"
}

built() {
  [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ] && [ -x "$server" ]
}

if built; then
  echo "llama: llama.cpp from $sdist already built in $dir"
  install_bin
  exit 0
fi

# shellcheck source=scripts/sdist.sh
. "$(dirname "$0")/sdist.sh"
sdist_tools
sdist_fetch "$pkg" "$ver" "$sha" "$cache" "$sdist" "llama.cpp"

# The llama.cpp tree, fresh (DIR/.sdist is kept).
find "$dir" -mindepth 1 -maxdepth 1 ! -name .sdist -exec rm -rf {} +
echo "llama: extracting llama.cpp into $dir"
tar -xzf "$cache/$sdist" -C "$dir" --strip-components=3 "llama_cpp_python-$ver/vendor/llama.cpp/"
[ -f "$dir/tools/server/server.cpp" ] && [ -f "$dir/ggml/include/ggml.h" ] || die "$sdist lacks the llama.cpp tree"

echo "llama: configuring (${flags[*]})"
cmake -S "$dir" -B "$dir/build" "${flags[@]}" >"$dir/build-configure.log" 2>&1 ||
  { tail -30 "$dir/build-configure.log" >&2; die "cmake configure failed (log: $dir/build-configure.log)"; }
echo "llama: building llama-server (about 11 minutes on 2 cores)"
cmake --build "$dir/build" --config Release --target llama-server -j "$(nproc 2>/dev/null || echo 2)" >"$dir/build.log" 2>&1 ||
  { tail -30 "$dir/build.log" >&2; die "build failed (log: $dir/build.log)"; }
[ -x "$server" ] || die "the build did not produce $server"
echo "$stamp" >"$dir/.stamp"
install_bin
