#!/usr/bin/env bash
# Token issuance throughput: POST /oauth/token (client_credentials, client_secret_basic) through the real server
# (Release build, SQLite client store, plain HTTP on loopback), with N concurrent `hey` loaders of one connection each,
# all for one client (a CI fleet sharing its credentials). Each response is checked for an access token once before the
# run. In the same run, for scale: GET /healthz with the same concurrency (the HTTP stack alone).
#   bench/tokens/run.sh [DURATION=20s] [CLIENTS=8]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DURATION="${1:-20s}"; CLIENTS="${2:-8}"
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
  --Logging:LogLevel:Default=Warning --Attest:Auth:TokenRequestsPerSecond=1000000 >"$WORK/server.log" 2>&1) & PIDS+=($!)
for _ in $(seq 300); do curl -sf "$URL/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "$URL/readyz" >/dev/null || { echo "run.sh: server did not start"; tail "$WORK/server.log"; exit 1; }

ID=$(jq -r .client_id "$WORK/data/admin-credentials.json"); SECRET=$(jq -r .client_secret "$WORK/data/admin-credentials.json")
ADMIN=$(curl -sf -u "$ID:$SECRET" -d grant_type=client_credentials "$URL/oauth/token" | jq -r .access_token)
c=$(curl -sf -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d '{"name":"bench-ci","scopes":["sign","verify"]}' "$URL/v1/clients")
BASIC=$(printf '%s:%s' "$(jq -r .clientId <<<"$c")" "$(jq -r .clientSecret <<<"$c")" | base64 -w0)
curl -sf -H "Authorization: Basic $BASIC" -d 'grant_type=client_credentials&scope=sign' "$URL/oauth/token" | jq -e .access_token >/dev/null \
  || { echo "run.sh: the token endpoint issued no token" >&2; exit 1; }

run() { # name path method -> prints requests/s summed over loaders, p50/p99 of loader 1, non-2xx count
  local name=$1 path=$2 method=$3 i loaders=()
  for i in $(seq "$CLIENTS"); do
    if [ "$method" = POST ]; then
      hey -z "$DURATION" -c 1 -m POST -T application/x-www-form-urlencoded -H "Authorization: Basic $BASIC" \
        -d 'grant_type=client_credentials&scope=sign' "$URL$path" >"$WORK/$name-$i.txt" & loaders+=($!)
    else
      hey -z "$DURATION" -c 1 "$URL$path" >"$WORK/$name-$i.txt" & loaders+=($!)
    fi
  done
  wait "${loaders[@]}"
  local rps bad p50 p99
  rps=$(awk '/Requests\/sec/ {s += $2} END {printf "%.0f", s}' "$WORK/$name"-*.txt)
  bad=$(cat "$WORK/$name"-*.txt | awk '/\[[0-9]+\]/ { gsub(/[\[\]]/, "", $1); if ($1 !~ /^2/) n += $2 } END {print n + 0}')
  p50=$(awk '/ 50% in/ {print $3 * 1000}' "$WORK/$name-1.txt"); p99=$(awk '/ 99% in/ {print $3 * 1000}' "$WORK/$name-1.txt")
  printf '%-8s %6s req/s   p50 %6.1f ms   p99 %6.1f ms   non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "$bad"
  echo "$rps" >"$WORK/$name.rps"
}
echo "token benchmark: $CLIENTS loaders, $DURATION each, $(nproc) cores"
run healthz /healthz GET
run tokens /oauth/token POST
awk -v t="$(cat "$WORK/tokens.rps")" -v h="$(cat "$WORK/healthz.rps")" 'BEGIN { printf "tokens / healthz ratio: %.2f\n", t / h }'
