#!/usr/bin/env python3
"""Generates BERT-shaped ONNX models with random weights, for tests and
benchmarks (no real weights can be downloaded where Hoard is built).

  gen_bert.py tiny  OUT_DIR   tiny embedder + tiny cross-encoder + reference outputs
  gen_bert.py bge-small OUT_DIR   bge-small-en-v1.5's exact architecture (benchmarks)

The encoder is written out here (embeddings, post-LN transformer layers, GELU)
rather than taken from `transformers`, so only Debian's python3-torch and
python3-onnx are needed. Inputs: input_ids, attention_mask, token_type_ids
(int64 [batch, seq]); outputs: last_hidden_state [batch, seq, hidden] for an
embedder, logits [batch, 1] for a cross-encoder.
"""
import json
import math
import os
import sys

import torch
from torch import nn


class Layer(nn.Module):
    def __init__(self, h, heads, inter):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.o = nn.Linear(h, h)
        self.ln1 = nn.LayerNorm(h, eps=1e-12)
        self.up, self.down = nn.Linear(h, inter), nn.Linear(inter, h)
        self.ln2 = nn.LayerNorm(h, eps=1e-12)

    def forward(self, x, bias):
        b, t, h = x.shape
        d = h // self.heads

        def split(y):
            return y.view(b, t, self.heads, d).transpose(1, 2)

        att = split(self.q(x)) @ split(self.k(x)).transpose(-1, -2) / math.sqrt(d) + bias
        ctx = (att.softmax(-1) @ split(self.v(x))).transpose(1, 2).reshape(b, t, h)
        x = self.ln1(x + self.o(ctx))
        return self.ln2(x + self.down(nn.functional.gelu(self.up(x))))


class Bert(nn.Module):
    def __init__(self, vocab, h, layers, heads, inter, max_pos, head=False):
        super().__init__()
        self.word = nn.Embedding(vocab, h)
        self.pos = nn.Embedding(max_pos, h)
        self.typ = nn.Embedding(2, h)
        self.ln = nn.LayerNorm(h, eps=1e-12)
        self.layers = nn.ModuleList([Layer(h, heads, inter) for _ in range(layers)])
        self.head = nn.Linear(h, 1) if head else None

    def forward(self, input_ids, attention_mask, token_type_ids):
        t = input_ids.shape[1]
        pos = torch.arange(t, device=input_ids.device).unsqueeze(0)
        x = self.ln(self.word(input_ids) + self.pos(pos) + self.typ(token_type_ids))
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layers:
            x = layer(x, bias)
        if self.head is not None:
            return self.head(x[:, 0])
        return x


def export(model, path, out_name):
    model.eval()
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 2088, 102, 0]], dtype=torch.int64)
    mask = (ids != 0).to(torch.int64)
    typ = torch.zeros_like(ids)
    kwargs = dict(
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=[out_name],
        dynamic_axes={n: {0: "batch", 1: "seq"} for n in ["input_ids", "attention_mask", "token_type_ids"]}
        | {out_name: {0: "batch"} if out_name == "logits" else {0: "batch", 1: "seq"}},
        opset_version=17,
    )
    try:
        torch.onnx.export(model, (ids, mask, typ), path, dynamo=False, **kwargs)
    except TypeError:  # older torch has no dynamo switch
        torch.onnx.export(model, (ids, mask, typ), path, **kwargs)


def references(emb, rer, path):
    """Reference outputs for a padded batch, computed by PyTorch."""
    ids = [[101, 7592, 1010, 2088, 999, 102], [101, 1037, 3231, 102, 0, 0], [101, 102, 0, 0, 0, 0]]
    pair = [[101, 2054, 2003, 102, 1037, 3231, 102], [101, 2054, 102, 7592, 2088, 102, 0]]
    pair_types = [[0, 0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 1, 0]]
    with torch.no_grad():
        t = torch.tensor(ids)
        m = (t != 0).to(torch.int64)
        hidden = emb(t, m, torch.zeros_like(t))
        cls = nn.functional.normalize(hidden[:, 0], dim=-1)
        mf = m.unsqueeze(-1).to(hidden.dtype)
        mean = nn.functional.normalize((hidden * mf).sum(1) / mf.sum(1), dim=-1)
        pt = torch.tensor(pair)
        pm = (pt != 0).to(torch.int64)
        logits = rer(pt, pm, torch.tensor(pair_types))
    ref = {
        "input_ids": ids,
        "hidden": hidden.tolist(),
        "cls_normalized": cls.tolist(),
        "mean_normalized": mean.tolist(),
        "pair_ids": pair,
        "pair_types": pair_types,
        "logits": logits[:, 0].tolist(),
    }
    with open(path, "w") as f:
        json.dump(ref, f)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("tiny", "bge-small"):
        sys.exit(__doc__)
    kind, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(20261121)
    vocab = 30522  # bert-base-uncased, shared by the tokenizers Hoard tests with
    if kind == "tiny":
        emb = Bert(vocab, 32, 2, 2, 64, 512)
        rer = Bert(vocab, 16, 1, 2, 32, 512, head=True)
        export(emb, os.path.join(out, "tiny-embedder.onnx"), "last_hidden_state")
        export(rer, os.path.join(out, "tiny-reranker.onnx"), "logits")
        references(emb.eval(), rer.eval(), os.path.join(out, "tiny-reference.json"))
    else:
        emb = Bert(vocab, 384, 12, 12, 1536, 512)
        export(emb, os.path.join(out, "model.onnx"), "last_hidden_state")


if __name__ == "__main__":
    main()
