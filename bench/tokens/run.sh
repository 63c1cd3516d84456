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

ADMIN=$(bench_token "$(jq -r .client_id "$WORK/data/admin-credentials.json")" "$(jq -r .client_secret "$WORK/data/admin-credentials.json")")
c=$(curl -sf -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d '{"name":"bench-ci","scopes":["sign","verify"]}' "$URL/v1/clients")
ID=$(jq -r .clientId <<<"$c"); SECRET=$(jq -r .clientSecret <<<"$c")
[ -n "$(bench_token "$ID" "$SECRET" sign)" ] || { echo "run.sh: the token endpoint issued no token" >&2; exit 1; }
BASIC=$(printf '%s:%s' "$ID" "$SECRET" | base64 -w0)

healthz_args() { echo "$URL/healthz"; }
token_args() { printf '%s\n' -m POST -T application/x-www-form-urlencoded -H "Authorization: Basic $BASIC" -d 'grant_type=client_credentials&scope=sign' "$URL/oauth/token"; }
echo "token benchmark: $CLIENTS loaders, $DURATION each, $(nproc) cores"
bench_run healthz "$CLIENTS" healthz_args
bench_run tokens "$CLIENTS" token_args
awk -v t="$(cat "$WORK/tokens.rps")" -v h="$(cat "$WORK/healthz.rps")" 'BEGIN { printf "tokens / healthz ratio: %.2f\n", t / h }'
