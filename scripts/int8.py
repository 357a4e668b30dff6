"""Makes Hoard's own int8 version of a BERT-family embedder from its fp32
ONNX file, with ONNX Runtime's tools (PyPI onnxruntime, pinned in
int8-requirements.txt so that the output is byte for byte the same, and its
sha256 can be checked):

1. Fuse the graph (attention, skip layer norms, bias + GELU, the embedding
   layer norm) with onnxruntime.transformers.optimizer, so that the
   quantizer sees whole attention blocks and quantizes their projections
   together (QAttention).
2. Quantize the weights to int8 per output channel (one scale per column,
   not one per tensor as the published `_quantized` exports do), activations
   dynamically. The word-embedding table stays in float: it is a lookup,
   and quantizing it costs accuracy for no speed.

usage: int8.py SRC.onnx DST.onnx HEADS HIDDEN
"""
import os
import sys

from onnxruntime.quantization import QuantType, quantize_dynamic
from onnxruntime.transformers import optimizer
from onnxruntime.transformers.fusion_options import FusionOptions

# The tanh form of GELU (FastGelu): faster, and on SciFact as accurate.
GELU_APPROX = True


def main(src, dst, heads, hidden):
    opts = FusionOptions("bert")
    opts.enable_gelu_approximation = GELU_APPROX
    fused = optimizer.optimize_model(src, model_type="bert", num_heads=heads, hidden_size=hidden,
                                     optimization_options=opts, opt_level=0, use_gpu=False)
    stats = fused.get_fused_operator_statistics()
    if stats.get("Attention", 0) == 0:
        sys.exit(f"int8: no attention block was fused in {src}; the graph is not the BERT export this expects")
    tmp = dst + ".fused.onnx"
    fused.save_model_to_file(tmp)
    keep = [n.name for n in fused.model.graph.node if n.op_type == "EmbedLayerNormalization"]
    quantize_dynamic(tmp, dst, per_channel=True, weight_type=QuantType.QInt8, nodes_to_exclude=keep,
                     op_types_to_quantize=["MatMul", "Attention"],
                     extra_options={"MatMulConstBOnly": True, "DefaultTensorType": 1})
    os.remove(tmp)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
