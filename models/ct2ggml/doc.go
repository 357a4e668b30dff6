// Package ct2ggml converts a CTranslate2 (faster-whisper) Whisper model into
// the ggml file whisper.cpp loads, without Python, cgo or the network.
//
// The input is a CTranslate2 model folder (model.bin and config.json; the
// tokenizer.json / vocabulary.* files beside them are not needed: the ggml
// vocabulary comes from the tiktoken rank file that the OpenAI reference
// converter uses, see [Assets]). The output reproduces what whisper.cpp's
// models/convert-pt-to-ggml.py writes for the same weights: a float16 source
// gives an ftype-1 file in which 2-D+ weights stay float16 and biases, layer
// norms, conv biases and positional embeddings are widened to float32.
//
// Conversion is lossless: fused CTranslate2 projections are split back into
// query/key/value rows, the all-zero key bias CTranslate2 adds when fusing is
// checked and dropped (Whisper's key projection has no bias), and nothing is
// narrowed. A source that would need narrowing or dequantizing (bfloat16,
// int8, int16) is refused.
package ct2ggml
