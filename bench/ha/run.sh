#!/usr/bin/env bash
# High-availability benchmarks (issue 20) on a real PostgreSQL started here with its durable defaults (fsync on,
# synchronous_commit on; the test rig's server runs with fsync off and would overstate everything):
#   appends:   ledger appends/s with 1, 2 and 3 replicas sharing the database, 8 and 64 concurrent writers each
#              (bench/Attest.Benchmarks ledger-replicas: each replica its own pool and sequencer, as a server has)
#   admission: three server replicas on that database behind no balancer, hey sending 1,000 admissions/s spread over
#              them (WORKERS=24 per replica x 14/s each, verdicts cached, every decision a ledger entry) -> combined
#              p50/p99. hey's workers are closed loops: each sends its next request only after the answer, so a worker
#              paced at q/s falls behind once a request takes longer than 1/q s; enough workers keep the offered rate.
# APPENDS=0 skips the append benchmark.
# Everything binds 127.0.0.1 on free ports and is stopped at exit. Usage: bench/ha/run.sh [SECONDS=10]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SECS="${1:-10}"
DURATION="${SECS}s"
WARMUP="${WARMUP:-12s}"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || { echo "run.sh: PostgreSQL is missing (apt-get install postgresql)" >&2; exit 2; }
for tool in hey docker-registry openssl curl python3; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (apt-get install hey docker-registry openssl curl python3)" >&2; exit 2; }
done
WORK="$(mktemp -d)"; chmod 755 "$WORK"; PIDS=()
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  [ -f "$WORK/pg/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- PostgreSQL, durable defaults ---
mkdir "$WORK/pg"; [ "$(id -u)" = 0 ] && chown postgres "$WORK/pg"
as_pg "$PGBIN/initdb" -D "$WORK/pg" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
PGPORT=$(free_port)
as_pg "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $WORK/pg -c max_connections=400" start >/dev/null
SERVER_CONN="Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=postgres;Maximum Pool Size=100"
echo "PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}'), fsync=$(as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -tAc 'show fsync'), synchronous_commit=$(as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -tAc 'show synchronous_commit')"

# --- appends ---
[ "${APPENDS:-1}" = 0 ] || dotnet run -c Release --project "$ROOT/bench/Attest.Benchmarks" -v quiet -- ledger-replicas "$SERVER_CONN" "$SECS" 1,2,3 8,64

# --- admission over three replicas ---
dotnet build -c Release "$ROOT/src/Attest.Server" -v quiet -nologo >/dev/null
SERVER_DLL="$ROOT/src/Attest.Server/bin/Release/net10.0/Attest.Server.dll"
# shellcheck source=bench/webhook/rig.sh
source "$ROOT/bench/webhook/rig.sh"
as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qc 'CREATE DATABASE attest_ha'
PORTS=()
for r in 1 2 3; do
  port=$(free_port); PORTS+=("$port"); mkdir -p "$WORK/data-$r"
  (cd "$WORK" && ATTEST_Attest__Ledger__Provider=postgresql \
     ATTEST_Attest__Ledger__ConnectionString="Host=127.0.0.1;Port=$PGPORT;Username=postgres;Database=attest_ha" \
     ATTEST_Attest__Signing__KeyPassword=bench-key-encryption-password \
     exec dotnet "$SERVER_DLL" --urls "https://127.0.0.1:$port" \
     --Kestrel:Certificates:Default:Path="$WORK/tls.crt" --Kestrel:Certificates:Default:KeyPath="$WORK/tls.key" \
     --Attest:DataDirectory="$WORK/data-$r" --Attest:PolicyDirectory="$WORK/policies" \
     --Attest:Registries:Insecure:0="$REG" --Logging:LogLevel:Default=Warning) >"$WORK/server-$r.log" 2>&1 &
  PIDS+=($!)
done
for port in "${PORTS[@]}"; do
  for _ in $(seq 600); do curl -skf "https://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  curl -skf "https://127.0.0.1:$port/readyz" >/dev/null || { echo "a replica did not start:" >&2; cat "$WORK"/server-*.log >&2; exit 1; }
done
WORKERS="${WORKERS:-24}"
PER_WORKER=$(( (1000 + 3 * WORKERS - 1) / (3 * WORKERS) ))
echo "admission load: 3 replicas x $WORKERS workers x $PER_WORKER req/s"
spread() { # duration, output prefix: 3 x (WORKERS x PER_WORKER/s) at once
  local i=0 loads=()
  for port in "${PORTS[@]}"; do
    i=$((i+1))
    hey -z "$1" -c "$WORKERS" -q "$PER_WORKER" -m POST -T application/json -D "$WORK/review.json" -o csv \
      "https://127.0.0.1:$port/admission/validate" >"$WORK/$2-$i.csv" &
    loads+=($!)
  done
  wait "${loads[@]}"
}
spread "$WARMUP" warmup
spread "$DURATION" measured
python3 - "$WORK" "$SECS" <<'PY'
import csv, glob, sys
times, codes = [], {}
for f in glob.glob(sys.argv[1] + "/measured-*.csv"):
    for row in csv.DictReader(open(f)):
        times.append(float(row["response-time"]) * 1000); codes[row["status-code"]] = codes.get(row["status-code"], 0) + 1
times.sort()
pct = lambda p: times[min(len(times) - 1, int(len(times) * p))]
print("admission  %6.0f req/s over 3 replicas   p50 %6.2f ms   p99 %6.2f ms   max %6.1f ms   status %s"
      % (len(times) / float(sys.argv[2]), pct(0.5), pct(0.99), times[-1], codes))
PY
echo "ledger entries: $(as_pg "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -d attest_ha -tAc 'select count(*) from entries')"
