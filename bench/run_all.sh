#!/usr/bin/env bash
# Every benchmark at full size, API and raw baseline side by side, on a throwaway PostgreSQL cluster:
#   bench/run_all.sh            -> bench/results/{results.json,summary.md,profile-*.svg,profile-*.txt}
#   bench/run_all.sh --quick    -> bench/results-quick/ (small sizes: checks the scripts in ~5 minutes)
# Extra arguments go to `python -m bench.run` (see --help). Loopback only; stops everything it started,
# also on Ctrl-C, on SIGTERM and after a hard time limit (BENCH_TIME_LIMIT seconds, default 5400).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
[ -x "$PY" ] || { echo "no .venv: python3 -m venv .venv && .venv/bin/pip install -e '.[test]'" >&2; exit 2; }
[ -x .venv/bin/py-spy ] || .venv/bin/pip install -q -r bench/requirements.txt

WORK=$(mktemp -d /tmp/casusregie-bench.XXXXXX)
chmod 755 "$WORK"  # the cluster runs as the postgres user when we are root
cleanup() { scripts/pg-cluster stop "$WORK/pg" >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

timeout --signal=TERM --kill-after=60 "${BENCH_TIME_LIMIT:-5400}" "$PY" -m bench.run --pg-dir "$WORK/pg" "$@"
