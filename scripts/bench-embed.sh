#!/usr/bin/env bash
# Embedding throughput, Hoard against transformers.js (@huggingface/transformers
# on Node, what AnythingLLM embeds with), in one run, on the same real ONNX
# files (bge-small-en-v1.5 fp32 and its int8 export, as `make models`
# installs them) and the same texts: the first N SciFact documents at up to
# 512 tokens, their real lengths.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${SHARED:-../shared}"
models="${HOARD_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/hoard/models}"
for m in bge-small-en-v1.5 bge-small-en-v1.5-q bge-small-en-v1.5-int8; do
  [ -f "$models/$m/manifest.json" ] || { echo "bench-embed: $m is not installed (make models MODELS=\"bge-small-en-v1.5 bge-small-en-v1.5-q bge-small-en-v1.5-int8\")" >&2; exit 1; }
done
# transformers.js reads a model folder: onnx/model.onnx (dtype fp32),
# onnx/model_quantized.onnx (q8, the published int8 export the jar's -q
# carries), onnx/model_int8.onnx (int8: here Hoard's own, scripts/int8.py),
# tokenizer and configs.
root=.cache/bench-model
dir="$root/bge-small-en-v1.5"
mkdir -p "$dir/onnx"
ln -sf "$models/bge-small-en-v1.5/model.onnx" "$dir/onnx/model.onnx"
ln -sf "$models/bge-small-en-v1.5-q/model.onnx" "$dir/onnx/model_quantized.onnx"
ln -sf "$models/bge-small-en-v1.5-int8/model.onnx" "$dir/onnx/model_int8.onnx"
cp "$models/bge-small-en-v1.5/tokenizer.json" "$shared/models/tokenizers/bge-small-en-v1.5/config.json" \
  "$shared/models/tokenizers/bge-small-en-v1.5/tokenizer_config.json" "$shared/models/tokenizers/bge-small-en-v1.5/special_tokens_map.json" "$dir/"
chmod u+w "$dir"/*.json
if [ ! -d .cache/bench-js/node_modules/@huggingface/transformers ]; then
  mkdir -p .cache/bench-js
  echo '{"private":true,"type":"module"}' > .cache/bench-js/package.json
  (cd .cache/bench-js && npm install --silent --ignore-scripts --no-audit --no-fund @huggingface/transformers@4.3.1)
fi
batches="${BATCHES:-1,4,16}"
n="${N:-512}"
# The machine's fp32 peak, to say how close to it the embedder runs.
peak=0
if command -v gcc >/dev/null; then
  gcc -O3 -march=native -fopenmp scripts/peak.c -o .cache/peak && line="$(OMP_NUM_THREADS="$(nproc)" .cache/peak)"
  echo "$line"
  peak="$(echo "$line" | sed -n 's/.*: \([0-9.]*\) GFLOP\/s.*/\1/p')"
fi
for dtype in fp32 q8 int8; do
  case $dtype in
    fp32) file="$dir/onnx/model.onnx" ;;
    q8) file="$dir/onnx/model_quantized.onnx" ;;
    int8) file="$dir/onnx/model_int8.onnx" ;;
  esac
  ./bin/hoard bench embed --model "$file" --tokenizer "$dir/tokenizer.json" \
    --corpus "$shared/datasets/scifact/corpus.jsonl" --n "$n" --tokens 512 --batch "$batches" \
    --texts-out ".cache/bench-texts.json" --json > ".cache/bench-embed-hoard-$dtype.json"
  node scripts/bench-transformersjs.mjs "$root" bge-small-en-v1.5 ".cache/bench-texts.json" "$dtype" ${batches//,/ } > ".cache/bench-embed-tjs-$dtype.json"
  # What Hoard's rewrite of a float graph gives (skip layer norms fused, the
  # last layer for the CLS token only), in the same run: the file's graph
  # as it is, one text at a time. Int8 graphs are run as they are anyway.
  if [ "$dtype" = fp32 ]; then
    ./bin/hoard bench embed --model "$file" --tokenizer "$dir/tokenizer.json" \
      --corpus "$shared/datasets/scifact/corpus.jsonl" --n "$n" --tokens 512 --batch 1 --as-file --json > ".cache/bench-embed-hoard-fp32-file.json"
  fi
  PEAK=$peak DTYPE=$dtype node -e '
const d = process.env.DTYPE;
const h = require("./.cache/bench-embed-hoard-" + d + ".json"), t = require("./.cache/bench-embed-tjs-" + d + ".json");
const tok = h.runs[0].avg_tokens;
console.log("embedding, bge-small-en-v1.5 " + d + ", the first " + h.runs[0].texts + " SciFact documents at up to 512 tokens (mean " + tok.toFixed(0) + " tokens)");
console.log("batch   hoard chunks/s (tokens/s)   transformers.js chunks/s (tokens/s)");
for (const r of h.runs) {
  const o = t.runs.find(x => x.batch === r.batch);
  console.log(String(r.batch).padStart(5) + (r.chunks_per_sec.toFixed(1) + " (" + (r.chunks_per_sec * tok).toFixed(0) + ")").padStart(24) + (o.chunks_per_sec.toFixed(1) + " (" + (o.chunks_per_sec * tok).toFixed(0) + ")").padStart(35));
}
const best = (rs) => Math.max(...rs.map(r => r.chunks_per_sec));
console.log("best against best: " + (best(h.runs) / best(t.runs)).toFixed(2) + "x; single query p50: hoard " + h.query_p50_ms.toFixed(1) + " ms, transformers.js " + t.query_p50_ms.toFixed(1) + " ms");
// 12 layers: Q, K, V and output projections (384 x 384), the feed-forward
// (384 x 1,536 twice), and attention over the text (2 x tokens x 384).
const flops = 2 * 12 * (4 * 384 * 384 + 2 * 384 * 1536 + 2 * tok * 384);
console.log("hoard at its best: " + (best(h.runs) * tok * flops / 1e9).toFixed(0) + " GFLOP/s (" + (flops / 1e6).toFixed(1) + " MFLOP a token)");
if (d === "fp32") {
  const f = require("./.cache/bench-embed-hoard-fp32-file.json");
  console.log("hoard fp32, the graph as in the file: " + f.runs[0].chunks_per_sec.toFixed(1) + " chunks/s; rewritten (" + h.graph + "): " + h.runs[0].chunks_per_sec.toFixed(1) + " at batch 1, " + (h.runs[0].chunks_per_sec / f.runs[0].chunks_per_sec).toFixed(2) + "x");
  // The ceiling: every FLOP of the file at the measured peak.
  const peak = Number(process.env.PEAK);
  if (peak > 0) {
    const cap = peak * 1e9 / (tok * flops);
    console.log("fp32 ceiling at the measured peak (" + peak + " GFLOP/s): " + cap.toFixed(1) + " chunks/s, " + (cap / best(t.runs)).toFixed(2) + "x transformers.js at its best");
  }
}
'
done
# What a transformers.js user gets for int8 is the published export (q8);
# Hoard's int8 is its own graph (fused, per-channel), so that ratio is the
# one the graph work buys.
node -e '
const best = (f) => Math.max(...require(f).runs.map(r => r.chunks_per_sec));
const fp = best("./.cache/bench-embed-tjs-fp32.json"), q8 = best("./.cache/bench-embed-tjs-q8.json");
const own = best("./.cache/bench-embed-hoard-int8.json"), f32 = best("./.cache/bench-embed-hoard-fp32.json");
console.log("hoard int8 (its own file) against transformers.js on the published files: " + (own / q8).toFixed(2) + "x its q8, " + (own / fp).toFixed(2) + "x its fp32; hoard fp32 " + (f32 / fp).toFixed(2) + "x");
'
