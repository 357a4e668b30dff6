#!/usr/bin/env bash
# Embedding throughput, Hoard against transformers.js, on one model file
# with bge-small-en-v1.5's exact architecture and random weights (generated
# by models/scripts/gen_bert.py; needs Debian's python3-torch and
# python3-onnx) and the same SciFact passages cut to 256 tokens.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${SHARED:-../shared}"
root=.cache/bench-model
model="$root/bge-small-random"
if [ ! -f "$model/onnx/model.onnx" ]; then
  for p in python3-torch python3-onnx; do
    dpkg -s "$p" >/dev/null 2>&1 || { sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo; $sudo apt-get install -y -qq python3-torch python3-onnx >/dev/null; break; }
  done
  mkdir -p "$model/onnx"
  /usr/bin/python3 models/scripts/gen_bert.py bge-small "$model/onnx" 2>/dev/null
fi
cp "$shared/models/tokenizers/bge-small-en-v1.5/tokenizer.json" "$shared/models/tokenizers/bge-small-en-v1.5/config.json" "$model/"
chmod u+w "$model"/*.json
# transformers.js picks the tokenizer class from tokenizer_config.json.
echo '{"tokenizer_class": "BertTokenizer", "model_max_length": 512, "do_lower_case": true, "clean_up_tokenization_spaces": true, "pad_token": "[PAD]", "cls_token": "[CLS]", "sep_token": "[SEP]", "unk_token": "[UNK]", "mask_token": "[MASK]"}' > "$model/tokenizer_config.json"
if [ ! -d .cache/bench-js/node_modules/@huggingface/transformers ]; then
  mkdir -p .cache/bench-js
  echo '{"private":true,"type":"module"}' > .cache/bench-js/package.json
  (cd .cache/bench-js && npm install --silent --ignore-scripts --no-audit --no-fund @huggingface/transformers@4.3.1)
fi
batches="${BATCHES:-1,8,32}"
# Two runs: every passage at 256 tokens, then mixed lengths (32–256) as real
# chunks are, where length bucketing saves the padding.
for mode in full mixed; do
  flag=""; [ "$mode" = mixed ] && flag="--mixed"
  ./bin/hoard bench embed --model "$model/onnx/model.onnx" --tokenizer "$model/tokenizer.json" \
    --corpus "$shared/datasets/scifact/corpus.jsonl" --n "${N:-256}" --batch "$batches" $flag \
    --texts-out ".cache/bench-texts-$mode.json" --json > ".cache/bench-embed-hoard-$mode.json"
  node scripts/bench-transformersjs.mjs "$root" bge-small-random ".cache/bench-texts-$mode.json" ${batches//,/ } > ".cache/bench-embed-tjs-$mode.json"
  MODE=$mode node -e '
const m = process.env.MODE;
const h = require("./.cache/bench-embed-hoard-" + m + ".json"), t = require("./.cache/bench-embed-tjs-" + m + ".json");
console.log("embedding, bge-small-en-v1.5 architecture (random weights), " + h.runs[0].texts + " SciFact passages, " +
  (m === "mixed" ? "mixed lengths" : "256 tokens") + " (mean " + h.runs[0].avg_tokens.toFixed(0) + " tokens)");
console.log("batch   hoard chunks/s   transformers.js chunks/s   ratio");
for (const r of h.runs) {
  const o = t.runs.find(x => x.batch === r.batch);
  console.log(String(r.batch).padStart(5) + r.chunks_per_sec.toFixed(1).padStart(17) + o.chunks_per_sec.toFixed(1).padStart(27) + (r.chunks_per_sec / o.chunks_per_sec).toFixed(2).padStart(8) + "x");
}
console.log("single query p50: hoard " + h.query_p50_ms.toFixed(1) + " ms, transformers.js " + t.query_p50_ms.toFixed(1) + " ms");
'
done
