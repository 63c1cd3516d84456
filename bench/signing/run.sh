#!/usr/bin/env bash
# Signing API throughput (issue 8): POST /v1/signatures through the real server (Release build, SQLite ledger,
# plain HTTP on loopback), with N concurrent CI clients, each its own OAuth2 client and token (so per-client rate
# limits apply as in production), each a `hey` process with one connection. Every signature is a ledger append,
# a checkpoint covering it and an inclusion proof, as in production. In the same run, for scale: GET /healthz with
# the same concurrency (the HTTP stack alone). Usage: bench/signing/run.sh [DURATION=20s] [CLIENTS=16]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DURATION="${1:-20s}"; CLIENTS="${2:-16}"
source "$ROOT/bench/lib.sh"
bench_setup hey curl jq python3
bench_start_server
bench_signing_clients "$CLIENTS"

echo "signing benchmark: $CLIENTS clients, $DURATION each, $(nproc) cores"
bench_run healthz "$CLIENTS" bench_healthz_args
bench_run signatures "$CLIENTS" bench_signature_args
SIZE=$(sqlite3 "$WORK/data/ledger.db" 'select count(*) from entries' 2>/dev/null || echo "?")
echo "ledger entries after the run: $SIZE"
awk -v s="$(cat "$WORK/signatures.rps")" -v h="$(cat "$WORK/healthz.rps")" 'BEGIN { printf "signatures / healthz ratio: %.2f (goal: >= 2000 signatures/s)\n", s / h }'
