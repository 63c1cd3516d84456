#!/usr/bin/env bash
# perf profile of a webhook server build under load, system-wide (every thread, kernel included), for
# comparing two builds symbol by symbol with bench/profile/diff.py:
#   bench/profile/webhook.sh BUILD_DIR OUT_PREFIX [saturation|warm|cold]
# BUILD_DIR holds Attest.Server.dll (e.g. `dotnet build -c Release src/Attest.Server -o DIR` in a worktree of the
# revision). The rig is bench/webhook/rig.sh's. The load runs 40 s first (the tiered JIT settles), then `perf record -a`
# samples 10 s of it: saturation = 32 workers, warm = 1,000 requests/s (8 x 125), cold = the verdict cache off at
# 200 requests/s (8 x 25; every request evaluates the image against the registry). Writes OUT_PREFIX.data, .pid (the
# server, for `perf report --pid`) and .hey (the load's report). Needs perf, hey, docker-registry; run on a quiet machine.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BIN=$1; OUT=$2; MODE=${3:-saturation}
CACHE_SECONDS=60
case $MODE in saturation) LOAD=(-c 32) ;; warm) LOAD=(-c 8 -q 125) ;; cold) LOAD=(-c 8 -q 25); CACHE_SECONDS=0 ;;
  *) echo "webhook.sh: mode is saturation, warm or cold" >&2; exit 2 ;; esac
WORK="$(mktemp -d)"; PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# shellcheck source=bench/webhook/rig.sh
source "$ROOT/bench/webhook/rig.sh"
PORT=$(free_port); mkdir -p "$WORK/data"
# Perf maps name the JIT's code; without W^X the code is not double-mapped, so perf can attribute it.
(cd "$WORK" && DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 exec dotnet "$BIN/Attest.Server.dll" --urls "https://127.0.0.1:$PORT" \
   --Kestrel:Certificates:Default:Path="$WORK/tls.crt" --Kestrel:Certificates:Default:KeyPath="$WORK/tls.key" \
   --Attest:DataDirectory="$WORK/data" --Attest:PolicyDirectory="$WORK/policies" \
   --Attest:Registries:Insecure:0="$REG" --Attest:Admission:VerdictCacheSeconds=$CACHE_SECONDS --Logging:LogLevel:Default=Warning) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!; PIDS+=($SERVER_PID)
for _ in $(seq 600); do curl -skf "https://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.1; done
hey -m POST -T application/json -D "$WORK/review.json" -z 40s "${LOAD[@]}" "https://127.0.0.1:$PORT/admission/validate" >/dev/null
hey -m POST -T application/json -D "$WORK/review.json" -z 14s "${LOAD[@]}" "https://127.0.0.1:$PORT/admission/validate" >"$OUT.hey" & H=$!
sleep 2
perf record -F 999 -g -a -o "$OUT.data" -- sleep 10 2>/dev/null
echo "$SERVER_PID" >"$OUT.pid"
wait $H
grep "Requests/sec" "$OUT.hey"
