#!/usr/bin/env bash
# Overhead of observability on the webhook (issue 19), in one run: the same server and AdmissionReview as
# bench/webhook/run.sh (warm: one pinned image, verdict cached, each decision appended to the durable ledger), three
# servers side by side, measured in alternating rounds so that the shared machine's noise falls on all of them alike:
#   off      Attest:Telemetry:Enabled=false (no meters listened to, no spans, no /metrics)
#   metrics  the default: every instrument recorded, the metrics listener scraped every SCRAPE seconds
#   traces   metrics as above, plus every span recorded and exported over OTLP/HTTP to a sink (sampling 1.0)
# Per round: saturation of the three servers at once (16 workers each, no rate limit -> requests/s of each: they share
# the machine at the same instants, so the others' load falls on them alike and the ratio is that of their cost per
# request), then each server alone, the order rotating from round to round, at a fixed 1,000 requests/s (8 x 125/s ->
# p50/p99, and the server's CPU time per request from /proc). Prints the medians over rounds and the differences to
# "off".
# Usage: bench/webhook/telemetry.sh [DURATION=15s]   (ROUNDS=3 WARMUP=12s SCRAPE=5 in the environment)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DURATION="${1:-15s}"; ROUNDS="${ROUNDS:-3}"; WARMUP="${WARMUP:-12s}"; SCRAPE="${SCRAPE:-5}"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_setup hey docker-registry openssl curl python3
dotnet build -c Release "$ROOT/src/Attest.Server" -v quiet -nologo >/dev/null
SERVER_DLL="$ROOT/src/Attest.Server/bin/Release/net10.0/Attest.Server.dll"
# shellcheck source=bench/webhook/rig.sh
source "$ROOT/bench/webhook/rig.sh"

# An OTLP/HTTP sink: takes every export and answers 200 (what a collector does before its own pipeline).
SINK=$(free_port)
python3 - "$SINK" >"$WORK/sink.log" 2>&1 <<'PY' & PIDS+=($!)
import sys, http.server
class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200); self.send_header("Content-Type", "application/x-protobuf"); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
PY

declare -A PORT METRICS SERVER
start() { # name extra-args...
  local name=$1; shift
  PORT[$name]=$(free_port); mkdir -p "$WORK/data-$name"
  (cd "$WORK" && exec dotnet "$SERVER_DLL" --urls "https://127.0.0.1:${PORT[$name]}" \
     --Kestrel:Certificates:Default:Path="$WORK/tls.crt" --Kestrel:Certificates:Default:KeyPath="$WORK/tls.key" \
     --Attest:DataDirectory="$WORK/data-$name" --Attest:PolicyDirectory="$WORK/policies" \
     --Attest:Registries:Insecure:0="$REG" --Attest:Admission:VerdictCacheSeconds=60 \
     --Logging:LogLevel:Default=Warning "$@") >"$WORK/server-$name.log" 2>&1 & PIDS+=($!); SERVER[$name]=$!
  for _ in $(seq 300); do curl -skf "https://127.0.0.1:${PORT[$name]}/readyz" >/dev/null && return 0; sleep 0.1; done
  echo "server $name did not start:" >&2; cat "$WORK/server-$name.log" >&2; exit 1
}
start off --Attest:Telemetry:Enabled=false
METRICS[metrics]=$(free_port); start metrics --Attest:Telemetry:MetricsUrl="http://127.0.0.1:${METRICS[metrics]}"
METRICS[traces]=$(free_port); start traces --Attest:Telemetry:MetricsUrl="http://127.0.0.1:${METRICS[traces]}" \
  --Attest:Telemetry:Otlp:Endpoint="http://127.0.0.1:$SINK"
# The scrapes Prometheus would make, for the servers that have metrics.
(while :; do for n in metrics traces; do curl -sf -o /dev/null "http://127.0.0.1:${METRICS[$n]}/metrics" || true; done; sleep "$SCRAPE"; done) & PIDS+=($!)

validate() { echo "https://127.0.0.1:${PORT[$1]}/admission/validate"; }
for name in off metrics traces; do  # warm-up: JIT and TLS, the measured mix at the measured rate
  hey -z "$WARMUP" -c 8 -q 125 -m POST -T application/json -D "$WORK/review.json" "$(validate "$name")" >/dev/null
  hey -z "$WARMUP" -c 32 -m POST -T application/json -D "$WORK/review.json" "$(validate "$name")" >/dev/null
done

echo "telemetry overhead: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $ROUNDS rounds of $DURATION"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }  # user + system, in clock ticks
TICKS=$(getconf CLK_TCK)
NAMES=(off metrics traces)
for round in $(seq "$ROUNDS"); do
  loaders=()
  for i in 0 1 2; do
    hey -z "$DURATION" -c 16 -m POST -T application/json -D "$WORK/review.json" "$(validate "${NAMES[$i]}")" >"$WORK/sat-${NAMES[$i]}-$round.txt" & loaders+=($!)
  done
  wait "${loaders[@]}"
  for i in 0 1 2; do
    name=${NAMES[$(( (i + round) % 3 ))]}
    before=$(cpu_ticks "${SERVER[$name]}")
    hey -z "$DURATION" -c 8 -q 125 -m POST -T application/json -D "$WORK/review.json" "$(validate "$name")" >"$WORK/warm-$name-$round.txt"
    after=$(cpu_ticks "${SERVER[$name]}")
    requests=$(awk '/\[200\]/ {print $2}' "$WORK/warm-$name-$round.txt")
    echo "$(( (after - before) * 1000000 / TICKS / requests ))" >"$WORK/cpu-$name-$round.txt"
    printf 'round %s %-8s saturation %8.0f req/s   warm p50 %6.2f ms  p99 %6.2f ms  CPU %4s us/request   non-200 %s\n' "$round" "$name" \
      "$(awk '/Requests\/sec/ {print $2}' "$WORK/sat-$name-$round.txt")" \
      "$(awk '/ 50% in/ {print $3*1000}' "$WORK/warm-$name-$round.txt")" "$(awk '/ 99% in/ {print $3*1000}' "$WORK/warm-$name-$round.txt")" \
      "$(cat "$WORK/cpu-$name-$round.txt")" \
      "$(cat "$WORK/sat-$name-$round.txt" "$WORK/warm-$name-$round.txt" | awk '/\[[0-9]+\]/ { gsub(/[\[\]]/, "", $1); if ($1 != "200") n += $2 } END {print n + 0}')"
  done
done

for name in off metrics traces; do
  sat=$(for r in $(seq "$ROUNDS"); do awk '/Requests\/sec/ {print $2}' "$WORK/sat-$name-$r.txt"; done | bench_median)
  p99=$(for r in $(seq "$ROUNDS"); do awk '/ 99% in/ {print $3*1000}' "$WORK/warm-$name-$r.txt"; done | bench_median)
  cpu=$(cat "$WORK"/cpu-"$name"-*.txt | bench_median)
  echo "$name $sat $p99 $cpu" >>"$WORK/medians"
done
read -r _ SAT_OFF P99_OFF CPU_OFF < <(grep '^off ' "$WORK/medians")
while read -r name sat p99 cpu; do
  printf 'median %-8s saturation %8.0f req/s (%.3f of off)   warm p99 %6.2f ms (%+.2f ms)   CPU %4s us/request (%+.1f %%)\n' "$name" "$sat" \
    "$(echo "$sat / $SAT_OFF" | bc -l)" "$p99" "$(echo "$p99 - $P99_OFF" | bc -l)" "$cpu" "$(echo "($cpu / $CPU_OFF - 1) * 100" | bc -l)"
done <"$WORK/medians"
echo "goals (issue 19): saturation within 3 % of off, warm p99 within 0.2 ms of off"
