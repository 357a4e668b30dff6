#!/usr/bin/env bash
# Vector search against LanceDB (npm @lancedb/lancedb, bench/lancedb): the
# same N vectors, the same queries and the same exact top 10s (sqlite-vec's
# float KNN), uniform and clustered. `hoard bench vectors --export` writes
# them; bench/lancedb loads them into a LanceDB table with an IVF_PQ index
# and times its search settings (nprobes × refine factor), the fastest with
# recall@10 ≥ 0.98 being its figure. Both keep their database between
# rounds, which interleave (Hoard, then LanceDB, ROUNDS times) so a busy
# machine slows them alike; the medians are printed with Hoard's p50 as a
# ratio to LanceDB's (below 1: Hoard is faster).
#
# Without node (or npm) LanceDB is left out and Hoard runs alone.
#
#   N=100000 ROUNDS=3 KINDS="uniform clustered" bash scripts/bench-vectors.sh
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-100000}
ROUNDS=${ROUNDS:-3}
KINDS=${KINDS:-uniform clustered}
HOARD=${HOARD:-./bin/hoard}
work=${WORK:-$(mktemp -d)}
[ -n "${WORK:-}" ] || trap 'rm -rf "$work"' EXIT

peer=1
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "node or npm not found: LanceDB left out" >&2
	peer=0
elif [ ! -d bench/lancedb/node_modules/@lancedb/lancedb ]; then
	# The native binary is a prebuilt package (no install script); the
	# scripts skipped belong to LanceDB's optional embedding libraries.
	(cd bench/lancedb && npm ci --ignore-scripts --no-audit --no-fund --silent)
fi

# One JSON line per run: kind, engine, p50_ms, recall.
for kind in $KINDS; do
	flag=()
	[ "$kind" = clustered ] && flag=(--clustered)
	mkdir -p "$work/$kind/hoard"
	for ((r = 1; r <= ROUNDS; r++)); do
		echo "round $r/$ROUNDS, $kind: hoard" >&2
		export_flag=()
		[ "$r" = 1 ] && [ "$peer" = 1 ] && export_flag=(--export "$work/$kind/data")
		"$HOARD" bench vectors --n "$N" "${flag[@]}" --dir "$work/$kind/hoard" "${export_flag[@]}" --json |
			python3 -c 'import json,sys; r=json.load(sys.stdin)[0]; print(json.dumps({"kind": sys.argv[1], "engine": "hoard", "p50_ms": r["binary_rescore_p50_ms"], "recall": r["binary_rescore_recall@10"], "first_query_ms": r["first_query_ms"], "index_bytes": r["index_memory_bytes"]}))' "$kind" >>"$work/runs.jsonl"
		if [ "$peer" = 1 ]; then
			echo "round $r/$ROUNDS, $kind: lancedb" >&2
			node bench/lancedb/bench.mjs --data "$work/$kind/data" --db "$work/$kind/lance" |
				python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); print(json.dumps({"kind": sys.argv[1], "engine": "lancedb", "p50_ms": r["p50_ms"], "recall": r["recall_at_10"], "flat_p50_ms": r["flat_p50_ms"], "flat_recall": r["flat_recall_at_10"], "setting": "nprobes %d, refine %d" % (r["nprobes"], r["refine"]), "meets": r["meets_target"], "index_seconds": r["index_seconds"]}))' "$kind" >>"$work/runs.jsonl"
		fi
	done
done

python3 - "$work/runs.jsonl" "$N" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
n = int(sys.argv[2])
def rows(kind, engine):
    return [r for r in runs if r["kind"] == kind and r["engine"] == engine]
def med(rs, key):
    return statistics.median(r[key] for r in rs)
print(f"{n:,} vectors, {len(rows(runs[0]['kind'], 'hoard'))} rounds, medians")
print("| vectors | engine | p50 ms | recall@10 | Hoard/engine p50 | notes |")
print("|---|---|---|---|---|---|")
for kind in dict.fromkeys(r["kind"] for r in runs):
    h = rows(kind, "hoard")
    hp = med(h, "p50_ms")
    print(f"| {kind} | hoard | {hp:.2f} | {med(h, 'recall'):.3f} | 1.00x | first answer {med(h, 'first_query_ms'):.0f} ms, index {h[0]['index_bytes']/2**20:.0f} MiB |")
    l = rows(kind, "lancedb")
    if not l:
        continue
    lp = med(l, "p50_ms")
    settings = sorted({r["setting"] for r in l})
    note = "IVF_PQ " + "; ".join(settings) + ("" if all(r["meets"] for r in l) else " (no setting reached 0.98)")
    print(f"| {kind} | lancedb | {lp:.2f} | {med(l, 'recall'):.3f} | {hp/lp:.2f}x | {note}; index built in {l[0]['index_seconds']:.0f} s |")
    print(f"| {kind} | lancedb flat | {med(l, 'flat_p50_ms'):.2f} | {med(l, 'flat_recall'):.3f} | {hp/med(l, 'flat_p50_ms'):.2f}x | exact |")
PY
