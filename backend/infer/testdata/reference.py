#!/usr/bin/env python3
"""Reference outputs for Hoard's tokenizer and embedder tests.

Token ids come from Hugging Face's `tokenizers` (the reference Rust
implementation), vectors from Python `onnxruntime` with each model's
documented pooling (CLS for bge, masked mean for e5 and MiniLM, then L2),
one text at a time. Pinned: tokenizers==0.23.3, onnxruntime==1.29.0 (the
version of the library Hoard loads: the int8 models' kernels changed by
1.32, whose vectors lie at cosine 0.995 from 1.29's), numpy.

The models are the ones `make models` installs: MODELS_DIR is Hoard's
models folder, one folder per model with model.onnx and tokenizer.json.

  python3 reference.py tokenizers SHARED OUT.json.gz
  python3 reference.py embeddings SHARED MODELS_DIR OUT.json.gz
"""
import gzip, hashlib, json, os, sys

HARD = [
    "",
    " ",
    "Hello world",
    "Café naïve résumé Ångström façade",
    "e\u0301 combining acute, ﬁ ligature, Ⅻ numeral",
    "東京は日本の首都です。北京、上海",
    "한국어 텍스트와 ひらがな カタカナ",
    "I ❤ 🦊 and 👩‍👩‍👧 family emoji",
    "https://example.com/a/b?c=1&d=two#frag and mailto:x@y.org",
    "unaffable antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "a" * 101,
    "x" * 300 + " tail",
    "don't stop! (really?) -- \"quoted\" [brackets] {braces} <tags>",
    "[CLS] [SEP] [PAD] [MASK] [UNK] inside text",
    "tabs\tand\nnewlines\r\nand\u00a0nbsp\u2003em space\u200bzero width",
    "control \x00\x01\x7f chars",
    "Ελληνικά и русский текст, العربية, עברית",
    "numbers 3.14159 1,000,000 2024-01-01 10:32 $5 50% #1",
    "IL-6 TNF-α p53 CD4+ β-amyloid 5′-UTR Na+/K+-ATPase",
    "C++ foo_bar(baz) => x->y; a::b",
    " ".join(["word%d" % i for i in range(700)]),
]

def scifact(shared, n=500):
    out = []
    with open(os.path.join(shared, "datasets/scifact/corpus.jsonl")) as f:
        for line in f:
            d = json.loads(line)
            out.append((d["_id"], d["title"] + "\n\n" + d["text"]))
            if len(out) == n:
                break
    return out

TOKENIZERS = ["bge-small-en-v1.5", "e5-small-v2", "all-MiniLM-L6-v2", "gte-small"]

def tokenizer(path, max_len=512):
    from tokenizers import Tokenizer
    t = Tokenizer.from_file(path)
    t.no_padding()
    t.enable_truncation(max_length=max_len)
    return t

def tokenizers_ref(shared, out):
    passages = scifact(shared)
    res = {"max_len": 512, "hard": HARD, "scifact": [i for i, _ in passages], "tokenizers": {}}
    for name in TOKENIZERS:
        path = os.path.join(shared, "models/tokenizers", name, "tokenizer.json")
        sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
        if sha in res["tokenizers"]:
            res["tokenizers"][sha]["names"].append(name)
            continue
        t = tokenizer(path)
        res["tokenizers"][sha] = {
            "names": [name],
            "hard": [t.encode(s).ids for s in HARD],
            "scifact": [t.encode(s).ids for _, s in passages],
        }
    with gzip.open(out, "wt") as f:
        json.dump(res, f, separators=(",", ":"))

# name → (pooling, query prefix, passage prefix, max tokens), as Hoard's
# catalog has them
BGE = "Represent this sentence for searching relevant passages: "
MODELS = {
    "bge-small-en-v1.5": ("cls", BGE, "", 512),
    "bge-small-en-v1.5-q": ("cls", BGE, "", 512),
    "bge-small-en-v1.5-int8": ("cls", BGE, "", 512),
    "e5-small-v2": ("mean", "query: ", "passage: ", 512),
    "e5-small-v2-q": ("mean", "query: ", "passage: ", 512),
    "all-MiniLM-L6-v2": ("mean", "", "", 256),
    "all-MiniLM-L6-v2-q": ("mean", "", "", 256),
}
QUERIES = [
    "0-dimensional biomaterials show inductive properties.",
    "ALDH1 expression is associated with poorer prognosis for breast cancer primary tumors.",
    "what causes vitamin D deficiency",
    "How does the immune system respond to viral infection?",
]

def embeddings_ref(shared, models_dir, out, n=64):
    import numpy as np, onnxruntime as ort
    passages = scifact(shared, n)
    res = {"scifact": [i for i, _ in passages], "queries": QUERIES, "models": {}}
    for name, (pool, qp, pp, max_len) in MODELS.items():
        d = os.path.join(models_dir, name)
        if not os.path.exists(os.path.join(d, "model.onnx")):
            print("skip", name, file=sys.stderr)
            continue
        t = tokenizer(os.path.join(d, "tokenizer.json"), max_len)
        so = ort.SessionOptions()
        so.intra_op_num_threads = 2
        s = ort.InferenceSession(os.path.join(d, "model.onnx"), so, providers=["CPUExecutionProvider"])
        def embed(text):
            e = t.encode(text)
            ids = np.array([e.ids], dtype=np.int64)
            mask = np.ones_like(ids)
            h = s.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0][0]
            v = h[0] if pool == "cls" else h.mean(axis=0)
            v = (v / np.linalg.norm(v)).astype(np.float32)
            return [float("%.7g" % x) for x in v]  # 7 digits: the file stays small, cosine exact to 1e-7
        res["models"][name] = {
            "pooling": pool,
            "max_len": max_len,
            "queries": [embed(qp + q) for q in QUERIES],
            "passages": [embed(pp + p) for _, p in passages],
        }
    with gzip.open(out, "wt") as f:
        json.dump(res, f, separators=(",", ":"))

if __name__ == "__main__":
    if sys.argv[1] == "tokenizers":
        tokenizers_ref(sys.argv[2], sys.argv[3])
    else:
        embeddings_ref(sys.argv[2], sys.argv[3], sys.argv[4])
