#!/usr/bin/env bash
# Soak (issue 19): the webhook under a steady mix of admissions for a long time, with a real Prometheus scraping it,
# and what Prometheus saw: errors, throughput, latency, and the resident memory and GC heap curves after warm-up.
#   RATE admissions/s (default 1000) for DURATION (default 30m): ALLOW_PERCENT (default 80) of an image with a keyless
#   signature and SBOM attestation that the policy admits, the rest of an unsigned image it denies; verdict cache on
#   (the default 60 s, so each image is verified again every minute), every decision appended to the durable SQLite
#   ledger (one fsync per group commit); the server on HTTPS with its metrics listener, Prometheus scraping every 5 s.
# Growth is the mean of the last tenth of the run over the mean of the tenth that follows warm-up (WARMUP, default 2m
# or a tenth of the run if shorter); the goal is under 10 %. Everything binds 127.0.0.1 on free ports, stopped at exit.
# Usage: bench/soak/run.sh [DURATION=30m] [RATE=1000]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DURATION="${1:-30m}"; RATE="${2:-1000}"; ALLOW_PERCENT="${ALLOW_PERCENT:-80}"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_setup hey docker-registry openssl curl python3 prometheus jq
seconds() { python3 -c 'import re,sys; m=re.fullmatch(r"(\d+)([smh]?)", sys.argv[1]); print(int(m[1]) * {"": 1, "s": 1, "m": 60, "h": 3600}[m[2]])' "$1"; }
TOTAL=$(seconds "$DURATION")
WARMUP=$(seconds "${WARMUP:-$(( TOTAL / 10 < 120 ? TOTAL / 10 : 120 ))s}")
dotnet build -c Release "$ROOT/src/Attest.Server" -v quiet -nologo >/dev/null
dotnet build -c Release "$ROOT/bench/Attest.Benchmarks" -v quiet -nologo >/dev/null
# shellcheck source=bench/webhook/rig.sh
source "$ROOT/bench/webhook/rig.sh"

# Policies: the signed image (keyless signature and SBOM attestation, bench/Attest.Benchmarks signed-image) is admitted,
# the rig's unsigned image is denied for want of the release key's signature.
SIGNED=$(dotnet "$ROOT/bench/Attest.Benchmarks/bin/Release/net10.0/Attest.Benchmarks.dll" signed-image "$REG" bench/signed "$WORK/soak-policies")
cp "$WORK/policies/release.pub" "$WORK/soak-policies/"
cat >"$WORK/soak-policies/unsigned.yaml" <<YAML
apiVersion: attest.dev/v1
kind: ImagePolicy
metadata: {name: release}
spec:
  match: {images: ["$REG/bench/app"]}
  signatures: {authorities: [{name: release, key: {file: release.pub}}]}
YAML
sed "s|$REG/bench/app@$DIGEST|$REG/bench/signed@$SIGNED|" "$WORK/review.json" >"$WORK/allow.json"
cp "$WORK/review.json" "$WORK/deny.json"

PORT=$(free_port); METRICS=$(free_port); URL="https://127.0.0.1:$PORT"
(cd "$WORK" && exec dotnet "$ROOT/src/Attest.Server/bin/Release/net10.0/Attest.Server.dll" --urls "$URL" \
   --Kestrel:Certificates:Default:Path="$WORK/tls.crt" --Kestrel:Certificates:Default:KeyPath="$WORK/tls.key" \
   --Attest:DataDirectory="$WORK/data" --Attest:PolicyDirectory="$WORK/soak-policies" --Attest:Registries:Insecure:0="$REG" \
   --Attest:Telemetry:MetricsUrl="http://127.0.0.1:$METRICS" --Logging:LogLevel:Default=Warning) >"$WORK/server.log" 2>&1 & PIDS+=($!)
SERVER_PID=$!
# Where the resident set lives, every 30 s: anonymous memory (managed and native heaps) or file-backed pages (mapped
# assemblies and libraries, SQLite's shared-memory index), which Prometheus's working-set series does not separate.
( while kill -0 "$SERVER_PID" 2>/dev/null; do
    awk -v t="$(date +%s)" '/^Rss:/ {r = $2} /^Anonymous:/ {a = $2} END {if (r) print t, r, a}' "/proc/$SERVER_PID/smaps_rollup" >>"$WORK/smaps" 2>/dev/null
    sleep 30; done ) & PIDS+=($!)
for _ in $(seq 300); do curl -skf "$URL/readyz" >/dev/null && break; sleep 0.1; done
for kind in allow deny; do
  curl -skf -X POST -H 'Content-Type: application/json' --data-binary @"$WORK/$kind.json" "$URL/admission/validate" \
    | jq -r --arg kind "$kind" '"\($kind): " + (if .response.allowed then "allowed" else "denied: " + .response.status.message[0:120] end)'
done

PROM=$(free_port)
cat >"$WORK/prometheus.yml" <<YAML
global: {scrape_interval: 5s, scrape_timeout: 4s}
scrape_configs:
  - job_name: attest
    static_configs: [{targets: ["127.0.0.1:$METRICS"]}]
YAML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" --web.listen-address="127.0.0.1:$PROM" \
  --log.level=warn >"$WORK/prometheus.log" 2>&1 & PIDS+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PROM/-/ready" >/dev/null && break; sleep 0.2; done

# hey paces each worker: 10 workers for RATE requests/s in all, split by ALLOW_PERCENT.
ALLOW_RATE=$(( RATE * ALLOW_PERCENT / 100 )); DENY_RATE=$(( RATE - ALLOW_RATE ))
echo "soak: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $DURATION at $RATE admissions/s ($ALLOW_RATE allowed, $DENY_RATE denied), warm-up ${WARMUP}s"
START=$(date +%s)
hey -z "$DURATION" -c 8 -q $(( ALLOW_RATE / 8 )) -m POST -T application/json -D "$WORK/allow.json" "$URL/admission/validate" >"$WORK/allow.txt" & A=$!
hey -z "$DURATION" -c 2 -q $(( DENY_RATE / 2 )) -m POST -T application/json -D "$WORK/deny.json" "$URL/admission/validate" >"$WORK/deny.txt" & D=$!
wait "$A" "$D"
END=$(date +%s)
sleep 6  # one more scrape

q() { curl -sf "http://127.0.0.1:$PROM/api/v1/query" --data-urlencode "query=$1" --data-urlencode "time=$END" | jq -r '.data.result[0].value[1] // "none"'; }
range() { curl -sf "http://127.0.0.1:$PROM/api/v1/query_range" --data-urlencode "query=$1" --data-urlencode "start=$START" \
  --data-urlencode "end=$END" --data-urlencode "step=$2" | jq -r '.data.result[0].values[] | "\(.[0]) \(.[1])"'; }
non200() { awk '/\[[0-9]+\]/ { gsub(/[\[\]]/, "", $1); if ($1 != "200") n += $2 } END {print n + 0}' "$1"; }
errors=$(awk '/^Error distribution:/ {e=1; next} e && NF {n += $1} END {print n + 0}' "$WORK/allow.txt" "$WORK/deny.txt")
echo "client: allowed-image requests $(awk '/\[200\]/ {print $2}' "$WORK/allow.txt"), denied-image requests $(awk '/\[200\]/ {print $2}' "$WORK/deny.txt"); non-200 $(( $(non200 "$WORK/allow.txt") + $(non200 "$WORK/deny.txt") )), client errors $errors"
echo "client p99: allowed $(awk '/ 99% in/ {print $3*1000}' "$WORK/allow.txt") ms, denied $(awk '/ 99% in/ {print $3*1000}' "$WORK/deny.txt") ms"
W="$(( END - START ))s"
echo "server (Prometheus, whole run): admissions $(q "sum(increase(attest_admission_requests_total{webhook=\"validate\"}[$W]))" | xargs printf '%.0f'), \
allowed $(q "sum(increase(attest_admission_requests_total{verdict=\"allow\"}[$W]))" | xargs printf '%.0f'), \
denied $(q "sum(increase(attest_admission_requests_total{verdict=\"deny\"}[$W]))" | xargs printf '%.0f') \
(reasons: $(curl -sf "http://127.0.0.1:$PROM/api/v1/query" --data-urlencode "query=sum by (reason) (increase(attest_admission_requests_total{verdict=\"deny\"}[$W]))" --data-urlencode "time=$END" | jq -r '[.data.result[] | "\(.metric.reason)=\(.value[1] | tonumber | round)"] | join(" ")'))"
echo "server errors: invalid answers $(q "sum(increase(attest_admission_requests_total{verdict=\"invalid\"}[$W])) or vector(0)"), \
ledger failed/pushback $(q "sum(increase(attest_ledger_appends_total{outcome=~\"failed|pushback\"}[$W]))"), \
ledger entries $(q 'max(attest_ledger_entries)'), signed through $(q 'max(attest_ledger_checkpoint_entries)')"
echo "server latency: p99 $(q "histogram_quantile(0.99, sum by (le) (rate(attest_admission_duration_seconds_bucket{webhook=\"validate\"}[$W])))"), \
ledger append p99 $(q "histogram_quantile(0.99, sum by (le) (rate(attest_ledger_append_duration_seconds_bucket[$W])))") s"

echo "garbage collections (whole run): $(curl -sf "http://127.0.0.1:$PROM/api/v1/query" --data-urlencode "query=sum by (gc_heap_generation) (increase(dotnet_gc_collections_total[$W]))" --data-urlencode "time=$END" | jq -r '[.data.result[] | "\(.metric.gc_heap_generation)=\(.value[1] | tonumber | round)"] | sort | join(" ")')"
STEP=$(( TOTAL / 20 > 5 ? TOTAL / 20 : 5 ))
for series in "max(dotnet_process_memory_working_set_bytes)" "sum(dotnet_gc_last_collection_heap_size_bytes)" "max(attest_ledger_sqlite_memory_bytes)"; do
  range "$series" "$STEP" >"$WORK/curve"
  echo "$series every ${STEP}s (MB): $(awk '{printf "%.0f ", $2/1048576}' "$WORK/curve")"
  range "$series" 15 >"$WORK/curve"  # the means below over every 15 s, not the printed points only
  awk -v start="$START" -v warm="$WARMUP" -v total="$TOTAL" '
    { t = $1 - start; if (t >= warm && t < warm + total / 10) { a += $2; na++ } if (t >= total - total / 10) { b += $2; nb++ } }
    END { if (na && nb) printf "  growth after warm-up: %+.1f %% (mean %.0f MB after warm-up, %.0f MB in the last tenth)\n", (b / nb / (a / na) - 1) * 100, a / na / 1048576, b / nb / 1048576 }' "$WORK/curve"
done
awk -v start="$START" -v warm="$WARMUP" '
  $1 - start >= warm && !first { first = $0 } { last = $0 }
  END { if (first) { split(first, f, " "); split(last, l, " ")
    printf "  resident set by kind (smaps_rollup), after warm-up -> end: anonymous %.0f -> %.0f MB, file-backed %.0f -> %.0f MB\n", f[3] / 1024, l[3] / 1024, (f[2] - f[3]) / 1024, (l[2] - l[3]) / 1024 } }' "$WORK/smaps"
echo "goal (issue 19): zero errors; resident memory and GC heap flat after warm-up (under 10 % growth)"
