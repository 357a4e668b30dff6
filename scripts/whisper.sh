#!/usr/bin/env bash
# Builds whisper.cpp's static libraries for the in-process transcription
# engine (`make whisper`). Needs internet, cmake and a C++ compiler. The
# source is the commit the Go bindings in go.mod were taken from, so the C
# library and the bindings agree.
set -euo pipefail
dir=${1:?usage: whisper.sh DIR}
commit=$(go list -m -f '{{.Version}}' github.com/ggerganov/whisper.cpp/bindings/go | sed 's/.*-//')
if [ -f "$dir/build/src/libwhisper.a" ] && [ "$(cat "$dir/.commit" 2>/dev/null)" = "$commit" ]; then
  echo "whisper.cpp $commit already built in $dir"
  exit 0
fi
command -v cmake >/dev/null || { echo "whisper: cmake is needed (sudo apt install cmake)"; exit 1; }
rm -rf "$dir" && mkdir -p "$dir"
echo "whisper: fetching whisper.cpp $commit"
curl -fsSL "https://github.com/ggml-org/whisper.cpp/archive/$commit.tar.gz" | tar -xz -C "$dir" --strip-components=1
cmake -S "$dir" -B "$dir/build" -DBUILD_SHARED_LIBS=OFF -DWHISPER_BUILD_EXAMPLES=OFF -DWHISPER_BUILD_TESTS=OFF \
  -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$dir/build" -j "$(nproc)" --config Release
echo "$commit" > "$dir/.commit"
