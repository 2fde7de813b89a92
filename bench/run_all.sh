#!/usr/bin/env bash
# Every benchmark at full size, API and raw baselines side by side, on a throwaway PostgreSQL cluster (fsync on):
#   bench/run_all.sh --seconds 10   -> bench/results/{results.json,summary.md}: R0/R1/R2, API transitions,
#                                      reads and list pages at 1, 2 and 4 workers with the audit ledger measured
#                                      (lag, staging, nothing lost, verify-audit), CPU per request; ~10 minutes
#   bench/run_all.sh                -> the same with 30 s loads (~20 minutes)
#   bench/run_all.sh --extras       -> also signals, memory, 1 000 000-entry verification, py-spy (+~40 minutes)
#   bench/run_all.sh --quick        -> bench/results-quick/ (small sizes: checks the scripts)
# Extra arguments go to `python -m bench.run` (see --help: --seconds, --workers, --extras, --out, ...).
# Loopback only; stops everything it started, also on Ctrl-C, on SIGTERM and after a hard time limit
# (BENCH_TIME_LIMIT seconds, default 5400).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
[ -x "$PY" ] || { echo "no .venv: python3 -m venv .venv && .venv/bin/pip install -e '.[test]'" >&2; exit 2; }
# The load generator's HTTP client (aiohttp) and py-spy (profiles, in the --extras set)
"$PY" -c "import aiohttp" 2>/dev/null && [ -x .venv/bin/py-spy ] || .venv/bin/pip install -q -r bench/requirements.txt

WORK=$(mktemp -d /tmp/casusregie-bench.XXXXXX)
chmod 755 "$WORK"  # the cluster runs as the postgres user when we are root
cleanup() { scripts/pg-cluster stop "$WORK/pg" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

timeout --signal=TERM --kill-after=60 "${BENCH_TIME_LIMIT:-5400}" "$PY" -m bench.run --pg-dir "$WORK/pg" "$@"
