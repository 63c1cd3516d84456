#!/usr/bin/env bash
# Keyless signing throughput (issue 16): complete keyless signatures per second through the real server's HTTP API
# (Release build, SQLite ledger, plain HTTP on loopback): certificate (POST /api/v2/signingCert, ES256 token validated,
# proof of possession, precertificate appended to the ledger, SCT), log entry (POST /api/v1/log/entries, signature
# verified, ledger append with checkpoint, SET and inclusion proof) and timestamp (POST /api/v1/timestamp), by CLIENTS
# concurrent clients (one connection each; the load client runs on the same cores). Each run signs WARMUP seconds
# (default 10; three times that before the first run, while the fresh server's tiered JIT settles) unmeasured first,
# then SECONDS measured; the server's and the load client's CPU time over the measured window are reported per
# signature. The per-address rate limit is raised for the run (all clients share 127.0.0.1). Usage: [WARMUP=10] bench/keyless/run.sh [SECONDS=20] [CLIENTS=16] [RUNS=3]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SECONDS_PER_RUN="${1:-20}"; CLIENTS="${2:-16}"; RUNS="${3:-3}"; WARMUP="${WARMUP:-10}"
WORK="$(mktemp -d)"; PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

dotnet build -c Release "$ROOT/src/Attest.Server" -v quiet -nologo >/dev/null
dotnet build -c Release "$ROOT/bench/Attest.Benchmarks" -v quiet -nologo >/dev/null
BENCH="$ROOT/bench/Attest.Benchmarks/bin/Release/net10.0/Attest.Benchmarks.dll"
dotnet "$BENCH" keyless-issuer "$WORK/issuer"
PORT=$(free_port); URL="http://127.0.0.1:$PORT"
mkdir -p "$WORK/policies"; cp "$ROOT"/policies/*.yaml "$WORK/policies/"
(cd "$WORK" && exec dotnet "$ROOT/src/Attest.Server/bin/Release/net10.0/Attest.Server.dll" --urls "$URL" \
  --Logging:LogLevel:Default=Warning --Attest:Auth:PermitsPerSecond=1000000 --Attest:Auth:Burst=1000000 \
  --Attest:Keyless:Issuers:0:Issuer=https://bench.attest.test --Attest:Keyless:Issuers:0:Type=github-workflow \
  --Attest:Keyless:Issuers:0:JwksFile="$WORK/issuer/jwks.json" >"$WORK/server.log" 2>&1) & PIDS+=($!)
for _ in $(seq 300); do curl -sf "$URL/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "$URL/readyz" >/dev/null || { echo "run.sh: server did not start"; tail "$WORK/server.log"; exit 1; }

echo "keyless benchmark: $CLIENTS clients, ${WARMUP} s warm-up (the first run $((WARMUP * 3)) s) + ${SECONDS_PER_RUN} s measured per run, $RUNS runs, $(nproc) cores"
for run in $(seq "$RUNS"); do
  echo "run $run:"
  warmup=$WARMUP; [ "$run" = 1 ] && warmup=$((WARMUP * 3))
  dotnet "$BENCH" keyless-load "$URL" "$WORK/issuer/token" "$CLIENTS" "$SECONDS_PER_RUN" "$warmup" "${PIDS[0]}" | sed 's/^/  /'
done
echo "ledger entries after the runs: $(sqlite3 "$WORK/data/ledger.db" "select count(*) from entries" 2>/dev/null || echo "?"), checkpoints: $(sqlite3 "$WORK/data/ledger.db" "select count(*) from checkpoints" 2>/dev/null || echo "?") (goal: >= 1000 complete signatures/s)"
