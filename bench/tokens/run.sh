#!/usr/bin/env bash
# Token issuance throughput: POST /oauth/token (client_credentials, client_secret_basic) through the real server
# (Release build, SQLite client store, plain HTTP on loopback), with N concurrent `hey` loaders of one connection each,
# all for one client (a CI fleet sharing its credentials; the per-address token rate limit is lifted for the run). The
# endpoint is checked to issue a token before the run. In the same run, for scale: GET /healthz with the same
# concurrency (the HTTP stack alone). Usage: bench/tokens/run.sh [DURATION=20s] [CLIENTS=8]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DURATION="${1:-20s}"; CLIENTS="${2:-8}"
source "$ROOT/bench/lib.sh"
bench_setup hey curl jq python3
bench_start_server --Attest:Auth:TokenRequestsPerSecond=1000000
bench_token_client

echo "token benchmark: $CLIENTS loaders, $DURATION each, $(nproc) cores"
bench_run healthz "$CLIENTS" bench_healthz_args
bench_run tokens "$CLIENTS" bench_token_args
awk -v t="$(cat "$WORK/tokens.rps")" -v h="$(cat "$WORK/healthz.rps")" 'BEGIN { printf "tokens / healthz ratio: %.2f\n", t / h }'
