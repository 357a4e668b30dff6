#!/usr/bin/env bash
# Lexical ingest against its peers: Hoard (--embedder none), Bleve (the Go
# search engine, bench/bleve, in its own module) in two forms, and a naive
# SQLite FTS5 table, on SciFact at 1x and 8x its text. The engines run in
# interleaved rounds (one of each, ROUNDS times) so a busy machine slows
# them alike; the median of the rounds is printed, with each one's ratio to
# Hoard.
#
# 8x is the corpus written eight times with distinct ids; copy k has
# " (copy k)" after its title, so no two records have the same bytes (Hoard
# stores identical content once and would only link a verbatim copy). The
# words, and so the vocabulary, are SciFact's: an index's dictionary grows
# less than on eight times as much different text.
#
#   SHARED=../shared ROUNDS=3 ROUNDS8=1 bash scripts/bench-lexical.sh (OLD= is HOARD_OLD)
#
# HOARD_OLD=path/to/an/older/hoard adds that build as engine hoard-old, in
# the same rounds, to compare two builds; ENGINES="hoard hoard-old
# bleve-all" runs only those.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared}
ROUNDS=${ROUNDS:-3}
ROUNDS8=${ROUNDS8:-1}
D=$SHARED/datasets/scifact
HOARD=${HOARD:-./bin/hoard}
HOARD_OLD=${HOARD_OLD:-${OLD:-}}
export PATH=$PATH:/usr/local/go/bin
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd bench/bleve && go build -o "$work/bleve-bench" .)
"$work/bleve-bench" repeat --corpus "$D/corpus.jsonl" --times 8 --out "$work/corpus8.jsonl"
q=(--queries "$D/queries.jsonl" --qrels "$D/qrels/test.tsv")

# One JSON line per run: engine, form, ingest_seconds, bytes, p50_ms.
run() { # scale engine corpus
	local scale=$1 engine=$2 corpus=$3
	case $engine in
	hoard | hoard-old | naive-fts5)
		local bin=$HOARD kind=$engine
		if [ "$engine" = hoard-old ]; then bin=$HOARD_OLD kind=hoard; fi
		"$bin" --embedder none --reranker none bench ingest --engine "$kind" --corpus "$corpus" "${q[@]}" --json |
			python3 -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps({"engine": sys.argv[1], "ingest_seconds": r["ingest_seconds"], "bytes": r["vault_bytes"], "p50_ms": r["p50_ms"], "warm_seconds": r.get("warm_seconds"), "postings_bytes": r.get("postings_bytes")}))' "$engine"
		;;
	bleve-all | bleve-fields)
		"$work/bleve-bench" index --form "${engine#bleve-}" --corpus "$corpus" "${q[@]}" |
			python3 -c 'import json,sys; r=json.load(sys.stdin); print(json.dumps({"engine": "bleve-"+r["form"], "ingest_seconds": r["ingest_seconds"], "bytes": r["bytes"], "p50_ms": r["p50_ms"]}))'
		;;
	esac | sed "s/^{/{\"scale\": \"$scale\", /" >>"$work/runs.jsonl"
}

engines=(hoard bleve-all bleve-fields naive-fts5)
if [ -n "$HOARD_OLD" ]; then engines=(hoard hoard-old bleve-all bleve-fields naive-fts5); fi
if [ -n "${ENGINES:-}" ]; then read -ra engines <<<"$ENGINES"; fi
rounds() { # scale count corpus
	for ((r = 1; r <= $2; r++)); do
		for e in "${engines[@]}"; do
			echo "round $r/$2 at $1: $e" >&2
			run "$1" "$e" "$3"
		done
	done
}
rounds 1x "$ROUNDS" "$D/corpus.jsonl"
if [ "$ROUNDS8" -gt 0 ]; then rounds 8x "$ROUNDS8" "$work/corpus8.jsonl"; fi

python3 - "$work/runs.jsonl" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
def med(scale, engine, key):
    v = [r[key] for r in runs if r["scale"] == scale and r["engine"] == engine]
    return statistics.median(v) if v else None
engines = ["hoard", "hoard-old", "bleve-all", "bleve-fields", "naive-fts5"]
print("| scale | engine | ingest s | size MiB | query p50 ms | Hoard/engine ingest | Hoard/engine size |")
print("|---|---|---|---|---|---|---|")
for scale in ["1x", "8x"]:
    h_t, h_b = med(scale, "hoard", "ingest_seconds"), med(scale, "hoard", "bytes")
    for e in engines:
        t, b, p = med(scale, e, "ingest_seconds"), med(scale, e, "bytes"), med(scale, e, "p50_ms")
        if t is None:
            continue
        print(f"| {scale} | {e} | {t:.2f} | {b/2**20:.1f} | {p:.2f} | {h_t/t:.2f}x | {h_b/b:.2f}x |")
    h_p = med(scale, "hoard", "p50_ms")
    for e in engines[1:]:
        p = med(scale, e, "p50_ms")
        if h_p and p:
            print(f"{scale}: query p50 Hoard/{e} {h_p/p:.2f}x")
    for r in runs:
        if r["scale"] == scale and r.get("postings_bytes"):
            print(f"{scale}: {r['engine']} postings {r['postings_bytes']/2**20:.1f} MiB in memory, built in {r['warm_seconds']:.2f} s after opening")
for e in engines:
    t1, t8 = med("1x", e, "ingest_seconds"), med("8x", e, "ingest_seconds")
    b1, b8 = med("1x", e, "bytes"), med("8x", e, "bytes")
    if t1 and t8:
        print(f"growth 1x -> 8x, {e}: ingest {t8/t1:.2f}x, size {b8/b1:.2f}x")
PY
