#!/usr/bin/env bash
# Builds whisper.cpp's static libraries for the in-process transcription
# engine (`make whisper`): whisper.sh DIR.
#
# The source is whisper.cpp 1.8.5 as carried by PyPI's pywhispercpp 1.5.1
# source distribution (no GitHub needed), checked against a pinned sha256.
# Its bindings/go library files are identical to the Go bindings go.mod
# pins, so the C library and the bindings agree. The sdist is cached in
# DIR/.sdist; a stamp (DIR/.stamp: sha256 and cmake flags) makes a second
# run a no-op. Needs pip, cmake and a C/C++ compiler; extra cmake flags can
# be passed in WHISPER_CMAKE_FLAGS (they are part of the stamp).
#
# Afterwards build with (what the Makefile's whisper target sets):
#   C_INCLUDE_PATH=DIR/include:DIR/ggml/include
#   LIBRARY_PATH=DIR/build/src:DIR/build/ggml/src
set -euo pipefail

dir=${1:?usage: whisper.sh DIR}
pkg=pywhispercpp
ver=1.5.1
sha=5df897e5dd9d9f16804fc937bd85b9f5880a0b29a55f8843585e0e03d76195e5
sdist=$pkg-$ver.tar.gz

die() { echo "whisper: $*" >&2; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
cache=$dir/.sdist

# Static libraries only, no examples/tests/server. GGML_NATIVE (the
# default) tunes ggml for this CPU: the result is meant to run where it was
# built. WHISPER_CMAKE_FLAGS=-DGGML_NATIVE=OFF (plus e.g. -DGGML_AVX2=ON)
# makes a portable build.
flags=(-DBUILD_SHARED_LIBS=OFF -DWHISPER_BUILD_EXAMPLES=OFF -DWHISPER_BUILD_TESTS=OFF
  -DWHISPER_BUILD_SERVER=OFF -DCMAKE_BUILD_TYPE=Release)
# shellcheck disable=SC2206 # word splitting wanted
flags+=(${WHISPER_CMAKE_FLAGS:-})
stamp="$sha ${flags[*]}"

libs=("$dir/build/src/libwhisper.a" "$dir/build/ggml/src/libggml.a"
  "$dir/build/ggml/src/libggml-base.a" "$dir/build/ggml/src/libggml-cpu.a")

report() {
  echo "whisper: headers in $dir/include and $dir/ggml/include"
  echo "whisper: libraries in $dir/build/src (libwhisper.a) and $dir/build/ggml/src (libggml*.a)"
}

built() {
  [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ] || return 1
  for l in "${libs[@]}"; do [ -f "$l" ] || return 1; done
}

if built; then
  echo "whisper: whisper.cpp from $sdist already built in $dir"
  report
  exit 0
fi

# shellcheck source=scripts/sdist.sh
. "$(dirname "$0")/sdist.sh"
sdist_tools
sdist_fetch "$pkg" "$ver" "$sha" "$cache" "$sdist" "whisper.cpp 1.8.5"

# The whisper.cpp tree, fresh (DIR/.sdist is kept).
find "$dir" -mindepth 1 -maxdepth 1 ! -name .sdist -exec rm -rf {} +
echo "whisper: extracting whisper.cpp into $dir"
tar -xzf "$cache/$sdist" -C "$dir" --strip-components=2 "$pkg-$ver/whisper.cpp/"
[ -f "$dir/include/whisper.h" ] && [ -f "$dir/ggml/include/ggml.h" ] || die "$sdist lacks the whisper.cpp tree"

echo "whisper: configuring (${flags[*]})"
cmake -S "$dir" -B "$dir/build" "${flags[@]}" >"$dir/build-configure.log" 2>&1 ||
  { tail -30 "$dir/build-configure.log" >&2; die "cmake configure failed (log: $dir/build-configure.log)"; }
echo "whisper: building libwhisper and ggml"
cmake --build "$dir/build" --config Release --target whisper -j "$(nproc 2>/dev/null || echo 2)" >"$dir/build.log" 2>&1 ||
  { tail -30 "$dir/build.log" >&2; die "build failed (log: $dir/build.log)"; }
for l in "${libs[@]}"; do [ -f "$l" ] || die "the build did not produce $l"; done
echo "$stamp" >"$dir/.stamp"
report
