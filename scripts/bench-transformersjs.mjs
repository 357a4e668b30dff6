// Embedding throughput of transformers.js (@huggingface/transformers on
// Node, onnxruntime-node) — what AnythingLLM embeds with — on the same model
// file and texts as `hoard bench embed`, for a side-by-side figure.
//
//   node scripts/bench-transformersjs.mjs MODELS_ROOT MODEL_ID TEXTS.json DTYPE [batch...]
//
// MODELS_ROOT/MODEL_ID holds config.json, tokenizer.json and onnx/model.onnx
// (DTYPE fp32) or onnx/model_quantized.onnx (q8).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [root, modelId, textsFile, dtype, ...batchArgs] = process.argv.slice(2);
const require = createRequire(path.resolve(".cache/bench-js/package.json"));
const { pipeline, env } = await import(require.resolve("@huggingface/transformers"));
env.localModelPath = path.resolve(root);
env.allowRemoteModels = false;

const texts = JSON.parse(readFileSync(textsFile, "utf8"));
const batches = batchArgs.length ? batchArgs.map(Number) : [1, 8, 32];
const extractor = await pipeline("feature-extraction", modelId, { dtype, device: "cpu" });
const runs = [];
for (const b of batches) {
  await extractor(texts.slice(0, b), { pooling: "cls", normalize: true }); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < texts.length; i += b) {
    await extractor(texts.slice(i, i + b), { pooling: "cls", normalize: true });
  }
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  runs.push({ batch: b, chunks_per_sec: texts.length / secs, seconds: secs, texts: texts.length });
}
const lat = [];
for (let i = 0; i < 30; i++) {
  const t0 = process.hrtime.bigint();
  await extractor(`what do my notes say about the effect of vitamin D on bone density ${i}`, { pooling: "cls", normalize: true });
  lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
lat.sort((a, b) => a - b);
console.log(JSON.stringify({ runs, query_p50_ms: lat[Math.round(lat.length / 2) - 1] }, null, 2));
