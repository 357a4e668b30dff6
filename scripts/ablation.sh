#!/usr/bin/env bash
# Runs `hoard bench retrieval` for each stage configuration on SciFact (test)
# and 2Wiki, printing one JSON object per run. Used for docs/retrieval.md.
set -euo pipefail
shared=${SHARED:-$(cd "$(dirname "$0")/../.." && pwd)/shared}
hoard=${HOARD:-bin/hoard}
for stages in "" none rescore -rescore -normalize -proximity +prf -multihop -dedupe +mmr; do
  for ds in scifact 2wiki-beir; do
    printf '{"config":"%s","result":' "${stages:-defaults}"
    "$hoard" bench retrieval --json --dataset "$shared/datasets/$ds" --stages "$stages" | tr -d '\n '
    printf '}\n'
  done
done
