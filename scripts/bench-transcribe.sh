#!/usr/bin/env bash
# Transcription speed, Hoard (whisper.cpp f16 in process, the whole
# voice-note path through `hoard bench transcribe`) against faster-whisper
# (CTranslate2 int8, the same model size from the same PyPI packages), in
# one run, on the same recordings, both on all cores, greedy decoding.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${SHARED:-../shared}"
files=("$shared/samples/audio/jfk/jfk.wav" "$shared/samples/audio/memo/planning-memo.wav" "$shared/samples/audio/silero-vad-test/test.wav")
threads="$(nproc)"
venv=.cache/fw-venv
if [ ! -x "$venv/bin/python" ] || ! cmp -s scripts/fw-requirements.txt "$venv/requirements.txt"; then
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/fw-requirements.txt >&2
  cp scripts/fw-requirements.txt "$venv/requirements.txt"
fi
# faster-whisper reads the CTranslate2 folders as the PyPI packages ship
# them; scripts/models.sh leaves them in .cache/ct2.
ct2=.cache/ct2
for m in tiny.en base; do
  [ -f "$ct2/whisper-$m/model.bin" ] || { echo "bench-transcribe: $ct2/whisper-$m is missing (make models MODELS=whisper-$m after removing the installed model)" >&2; exit 1; }
done
for m in tiny.en base; do
  ./bin/hoard bench transcribe --model "whisper-$m" --threads "$threads" --json "${files[@]}" > ".cache/bench-tr-hoard-$m.json"
  "$venv/bin/python" scripts/bench-fasterwhisper.py "$ct2/whisper-$m" "$threads" "${files[@]}" > ".cache/bench-tr-fw-$m.json"
  M=$m node -e '
const m = process.env.M, fs = require("fs");
const h = JSON.parse(fs.readFileSync(".cache/bench-tr-hoard-" + m + ".json"));
const f = fs.readFileSync(".cache/bench-tr-fw-" + m + ".json", "utf8").trim().split("\n").map(JSON.parse);
console.log("whisper " + m + ": recording, audio s, hoard (whisper.cpp f16) x real time, faster-whisper (int8) x real time");
let ha = 0, hw = 0, fa = 0, fw = 0;
h.forEach((r, i) => {
  const o = f[i];
  console.log("  " + r.file.split("/").pop().padEnd(18) + r.audio_seconds.toFixed(1).padStart(6) + r.speed.toFixed(1).padStart(10) + "x" + o.speed.toFixed(1).padStart(10) + "x");
  ha += r.audio_seconds; hw += r.wall_seconds; fa += o.audio_seconds; fw += o.wall_seconds;
});
console.log("  all: hoard " + (ha / hw).toFixed(1) + "x, faster-whisper " + (fa / fw).toFixed(1) + "x real time; hoard/faster-whisper " + ((ha / hw) / (fa / fw)).toFixed(2));
'
done
