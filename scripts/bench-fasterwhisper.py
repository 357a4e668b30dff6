"""Transcription speed of faster-whisper (CTranslate2, int8) on the same
recordings and model files as `hoard bench transcribe`, for a side-by-side
figure. Prints one JSON line per recording.

usage: bench-fasterwhisper.py MODEL_DIR THREADS FILE...
"""
import json
import sys
import time

from faster_whisper import WhisperModel
from faster_whisper.audio import decode_audio


def main(model_dir, threads, files):
    model = WhisperModel(model_dir, device="cpu", compute_type="int8", cpu_threads=threads)
    for f in files:
        audio = decode_audio(f)
        start = time.perf_counter()
        # Greedy, as Hoard decodes; the generator runs as it is read.
        segments, _ = model.transcribe(f, beam_size=1, language="en")
        text = " ".join(s.text.strip() for s in segments)
        wall = time.perf_counter() - start
        secs = len(audio) / 16000
        print(json.dumps({"file": f, "audio_seconds": secs, "wall_seconds": wall, "speed": secs / wall, "text": text}))


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
