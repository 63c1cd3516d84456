#!/usr/bin/env bash
# Signing API throughput (issue 8): POST /v1/signatures through the real server (Release build, SQLite ledger,
# plain HTTP on loopback), with N concurrent CI clients, each its own OAuth2 client and token (so per-client rate
# limits apply as in production), each a `hey` process with one connection. Every signature is a ledger append,
# a checkpoint covering it and an inclusion proof, as in production. In the same run, for scale: GET /healthz with
# the same concurrency (the HTTP stack alone). Usage: bench/signing/run.sh [DURATION=20s] [CLIENTS=16]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DURATION="${1:-20s}"; CLIENTS="${2:-16}"
for tool in hey curl jq python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (apt-get install hey curl jq python3)" >&2; exit 2; }
done
WORK="$(mktemp -d)"; PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

dotnet build -c Release "$ROOT/src/Attest.Server" -v quiet -nologo >/dev/null
PORT=$(free_port); URL="http://127.0.0.1:$PORT"
mkdir -p "$WORK/policies"; cp "$ROOT"/policies/*.yaml "$WORK/policies/"
(cd "$WORK" && exec dotnet "$ROOT/src/Attest.Server/bin/Release/net10.0/Attest.Server.dll" --urls "$URL" \
  --Logging:LogLevel:Default=Warning >"$WORK/server.log" 2>&1) & PIDS+=($!)
for _ in $(seq 300); do curl -sf "$URL/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "$URL/readyz" >/dev/null || { echo "run.sh: server did not start"; tail "$WORK/server.log"; exit 1; }

token() { curl -sf -u "$1:$2" -d grant_type=client_credentials "$URL/oauth/token" | jq -r .access_token; }
ADMIN=$(token "$(jq -r .client_id "$WORK/data/admin-credentials.json")" "$(jq -r .client_secret "$WORK/data/admin-credentials.json")")
TOKENS=()
for i in $(seq "$CLIENTS"); do
  c=$(curl -sf -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d "{\"name\":\"bench-$i\",\"scopes\":[\"sign\"]}" "$URL/v1/clients")
  TOKENS+=("$(token "$(jq -r .clientId <<<"$c")" "$(jq -r .clientSecret <<<"$c")")")
done

run() { # name path method body -> prints requests/s summed over clients, p50/p99 of client 1, non-2xx count
  local name=$1 path=$2 method=$3 body=$4 i loaders=()
  for i in $(seq "$CLIENTS"); do
    if [ "$method" = POST ]; then
      hey -z "$DURATION" -c 1 -m POST -T application/json -H "Authorization: Bearer ${TOKENS[$((i-1))]}" \
        -d "$body" "$URL$path" >"$WORK/$name-$i.txt" & loaders+=($!)
    else
      hey -z "$DURATION" -c 1 "$URL$path" >"$WORK/$name-$i.txt" & loaders+=($!)
    fi
  done
  wait "${loaders[@]}"
  local rps bad p50 p99
  rps=$(awk '/Requests\/sec/ {s += $2} END {printf "%.0f", s}' "$WORK/$name"-*.txt)
  bad=$(cat "$WORK/$name"-*.txt | awk '/\[[0-9]+\]/ { gsub(/[\[\]]/, "", $1); if ($1 !~ /^2/) n += $2 } END {print n + 0}')
  p50=$(awk '/ 50% in/ {print $3 * 1000}' "$WORK/$name-1.txt"); p99=$(awk '/ 99% in/ {print $3 * 1000}' "$WORK/$name-1.txt")
  printf '%-12s %6s req/s   p50 %6.1f ms   p99 %6.1f ms   non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "$bad"
  echo "$rps" >"$WORK/$name.rps"
}
DIGEST="sha256:$(printf 'bench artifact' | sha256sum | cut -d' ' -f1)"
echo "signing benchmark: $CLIENTS clients, $DURATION each, $(nproc) cores"
run healthz /healthz GET ""
run signatures /v1/signatures POST "{\"digest\":\"$DIGEST\"}"
SIZE=$(curl -sf -H "Authorization: Bearer $ADMIN" "$URL/v1/clients" >/dev/null; sqlite3 "$WORK/data/ledger.db" 'select count(*) from entries' 2>/dev/null || echo "?")
echo "ledger entries after the run: $SIZE"
awk -v s="$(cat "$WORK/signatures.rps")" -v h="$(cat "$WORK/healthz.rps")" 'BEGIN { printf "signatures / healthz ratio: %.2f (goal: >= 2000 signatures/s)\n", s / h }'
