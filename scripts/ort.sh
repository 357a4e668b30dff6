#!/usr/bin/env bash
# Places the ONNX Runtime shared library in lib/ from the npm package
# onnxruntime-node (npm pack + tar: no install scripts run). Safe to run
# again: an existing library of the right version is kept.
set -euo pipefail

version="${ORT_VERSION:-1.29.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/lib"
stamp="$dest/.onnxruntime-$version"

if [ -f "$stamp" ] && [ -f "$dest/libonnxruntime.so.1" ]; then
  exit 0
fi
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "ort: no ONNX Runtime build for $(uname -m); neural features stay off" >&2; exit 0 ;;
esac
command -v npm >/dev/null || { echo "ort: npm is needed to fetch onnxruntime-node@$version" >&2; exit 1; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "ort: fetching onnxruntime-node@$version"
(cd "$tmp" && npm pack --silent "onnxruntime-node@$version" >/dev/null)
tar -xzf "$tmp"/onnxruntime-node-*.tgz -C "$tmp" "package/bin/napi-v6/linux/$arch/libonnxruntime.so.1"
mkdir -p "$dest"
install -m 0644 "$tmp/package/bin/napi-v6/linux/$arch/libonnxruntime.so.1" "$dest/libonnxruntime.so.1"
ln -sf libonnxruntime.so.1 "$dest/libonnxruntime.so"
rm -f "$dest"/.onnxruntime-*
touch "$stamp"
echo "ort: $dest/libonnxruntime.so.1 ($version)"
