#!/usr/bin/env bash
# Fingerprint the output files of all seven scenarios for one seed, through the CLI:
#   bash scripts/fingerprint.sh [python]
# Prints one SHA-256 per scenario (over its Parquet files) and one over all of them. A refactor
# that claims bit-identical results quotes the last line before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${1:-.venv/bin/python}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
for s in baseline pathfinder rural_clusters executive_heads partnership_accountability \
         cluster_lump_sums high_stakes; do
    "$PY" -m sim "scenario=$s" seed=3 landscape.n_schools=300 years=10 spinup_years=20 \
        output.progress=false output.summary=false output.plot=false \
        "hydra.run.dir=$OUT/$s" hydra.output_subdir=null hydra/job_logging=disabled \
        hydra/hydra_logging=disabled >/dev/null
    echo "$s $(cat "$OUT/$s"/*.parquet | sha256sum | cut -c1-16)"
done
echo "all $(cat "$OUT"/*/*.parquet | sha256sum | cut -d' ' -f1)"
