#!/usr/bin/env bash
# The admission webhook of two revisions side by side (issue 14: the security fixes must not cost the hot path):
#   bench/webhook/before-after.sh BEFORE_REV [AFTER_REV=HEAD] [ROUNDS=3] [DURATION=10s]
# Each revision's server is built (Release) from a temporary detached worktree; the rig, the load and the fixtures come
# from this tree (bench/webhook/rig.sh), so only the server differs. Per round, both servers run the same four loads,
# in alternating order (round 1 before first, round 2 after first, ...), because this machine is shared and noisy:
#   warm:        verdict cached, 1,000 requests/s (8 workers x 125/s) after a 12 s warm-up at that rate -> p50/p99
#   saturation:  verdict cached, no rate limit, 32 workers -> requests/s
#   cold:        verdict cache off, 200 requests/s (every request lists the referrers in the registry) -> p99, after a
#                warm-up of WARMUP at that rate (a short one measured the JIT: the build with more code the more)
#   cold-signed: verdict cache off, 200 requests/s, a keyless-signed image with an SBOM attestation -> p99
#                (skipped for a revision whose server does not allow the image: the fixture's policy is newer)
# Besides latency and rate, each load records the server's CPU time per answered request (utime + stime of the server
# process over the load, from /proc): on a shared machine that moves far less with the neighbours' load than the rates do;
# and the managed memory it allocated per answered request (from its metrics listener; revisions without one show nan).
# LOADS="warm cold" (default: all four; "warm" covers warm and saturation) narrows a run, e.g. for a bisection.
# Printed: every round, then per load the median over rounds of each revision and the after/before ratio.
# Everything binds 127.0.0.1 on free ports and is stopped at exit.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BEFORE_REV="${1:?usage: bench/webhook/before-after.sh BEFORE_REV [AFTER_REV=HEAD] [ROUNDS=3] [DURATION=10s]}"
AFTER_REV="${2:-HEAD}"; ROUNDS="${3:-3}"; DURATION="${4:-10s}"; WARMUP="${WARMUP:-12s}"; LOADS="${LOADS:-warm cold cold-signed}"
wanted() { [[ " $LOADS " == *" $1 "* ]]; }
for tool in hey docker-registry openssl curl python3 git; do
  command -v "$tool" >/dev/null || { echo "before-after.sh: $tool is missing" >&2; exit 2; }
done
WORK="$(mktemp -d)"; PIDS=(); TREES=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  for t in "${TREES[@]}"; do git -C "$ROOT" worktree remove --force "$t" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

build() { # name revision -> $WORK/name/Attest.Server.dll
  local tree="$WORK/tree-$1"
  git -C "$ROOT" worktree add --detach --quiet "$tree" "$2"; TREES+=("$tree")
  dotnet build -c Release "$tree/src/Attest.Server" -o "$WORK/$1" -v quiet -nologo >/dev/null
  echo "$1: $(git -C "$ROOT" log --oneline -1 "$2" | cut -c1-100)"
}
build before "$BEFORE_REV"
build after "$AFTER_REV"

# shellcheck source=bench/webhook/rig.sh
source "$ROOT/bench/webhook/rig.sh"
dotnet build -c Release "$ROOT/bench/Attest.Benchmarks" -v quiet -nologo >/dev/null
SIGNED=$(dotnet "$ROOT/bench/Attest.Benchmarks/bin/Release/net10.0/Attest.Benchmarks.dll" signed-image "$REG" bench/signed "$WORK/policies-signed")
sed "s|$REG/bench/app@$DIGEST|$REG/bench/signed@$SIGNED|" "$WORK/review.json" >"$WORK/review-signed.json"

start_server() { # build cache-seconds policies -> PORT, METRICS_PORT, SERVER_PID
  PORT=$(free_port); METRICS_PORT=$(free_port); local data="$WORK/data-$1-$RANDOM"
  mkdir -p "$data"
  (cd "$WORK" && exec dotnet "$WORK/$1/Attest.Server.dll" --urls "https://127.0.0.1:$PORT" \
     --Kestrel:Certificates:Default:Path="$WORK/tls.crt" --Kestrel:Certificates:Default:KeyPath="$WORK/tls.key" \
     --Attest:DataDirectory="$data" --Attest:PolicyDirectory="$3" \
     --Attest:Registries:Insecure:0="$REG" --Attest:Admission:VerdictCacheSeconds="$2" --Attest:Telemetry:MetricsUrl="http://127.0.0.1:$METRICS_PORT" \
     --Logging:LogLevel:Default=Warning) >"$WORK/server-$1.log" 2>&1 &
  SERVER_PID=$!; PIDS+=($SERVER_PID)
  for _ in $(seq 600); do curl -skf "https://127.0.0.1:$PORT/readyz" >/dev/null && return 0; sleep 0.1; done
  echo "the $1 server did not start:" >&2; tail "$WORK/server-$1.log" >&2; exit 1
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
allowed() { # review -> exit 0 when the running server allows it
  curl -skf -X POST -H 'Content-Type: application/json' --data-binary @"$1" "https://127.0.0.1:$PORT/admission/validate" \
    | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["response"]["allowed"] else 1)'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
# Bytes the server's managed heap has handed out so far, from its metrics listener (empty for a revision without one).
allocated() { { curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" 2>/dev/null || true; } | awk '/^dotnet_gc_heap_total_allocated_bytes_total/ {printf "%.0f", $NF}'; }
hey_post() { # review output hey-args...  (writes the server's CPU ticks over the load to output.cpu, bytes allocated to output.alloc)
  local review=$1 out=$2 before allocated_before; shift 2
  before=$(cpu_ticks); allocated_before=$(allocated)
  hey -m POST -T application/json -D "$review" "$@" "https://127.0.0.1:$PORT/admission/validate" >"$out"
  [ "$out" = /dev/null ] && return 0
  echo $(( $(cpu_ticks) - before )) >"$out.cpu"
  local allocated_after; allocated_after=$(allocated)
  if [ -n "$allocated_before" ] && [ -n "$allocated_after" ]; then echo $(( allocated_after - allocated_before )) >"$out.alloc"; else echo "" >"$out.alloc"; fi
}
record() { # build round load file
  python3 - "$@" "$(getconf CLK_TCK)" >>"$WORK/results.tsv" <<'PY'
import re, sys
build, rnd, load, path, hz = sys.argv[1:]
text = open(path).read()
ticks = int(open(path + ".cpu").read())
allocated = open(path + ".alloc").read().strip()
def q(p):
    m = re.search(r" %s%% in ([0-9.]+) secs" % p, text)
    return float(m.group(1)) * 1000 if m else float("nan")
rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))
ok = sum(int(n) for n in re.findall(r"\[200\]\s+(\d+) responses", text))
cpu = ticks * 1000 / int(hz) / max(ok, 1)
kib = f"{int(allocated) / 1024 / max(ok, 1):.1f}" if allocated else "nan"
print(f"{build}\t{rnd}\t{load}\t{rps:.0f}\t{q(50):.2f}\t{q(99):.2f}\t{ok}\t{cpu:.3f}\t{kib}")
PY
  tail -1 "$WORK/results.tsv" | awk -F'\t' '{printf "  %-6s %-11s %7s req/s   p50 %7s ms   p99 %7s ms   server CPU %6s ms/request   allocated %6s KiB/request   (%s answered 200)\n", $1, $3, $4, $5, $6, $8, $9, $7}'
}

measure() { # build round
  local b=$1 r=$2
  if wanted warm; then
    start_server "$b" 60 "$WORK/policies"
    hey_post "$WORK/review.json" /dev/null -z "$WARMUP" -c 8 -q 125
    hey_post "$WORK/review.json" "$WORK/$b-$r-warm.txt" -z "$DURATION" -c 8 -q 125; record "$b" "$r" warm "$WORK/$b-$r-warm.txt"
    hey_post "$WORK/review.json" "$WORK/$b-$r-sat.txt" -z "$DURATION" -c 32; record "$b" "$r" saturation "$WORK/$b-$r-sat.txt"
    stop_server
  fi
  if wanted cold; then
    start_server "$b" 0 "$WORK/policies"
    hey_post "$WORK/review.json" /dev/null -z "$WARMUP" -c 8 -q 25
    hey_post "$WORK/review.json" "$WORK/$b-$r-cold.txt" -z "$DURATION" -c 8 -q 25; record "$b" "$r" cold "$WORK/$b-$r-cold.txt"
    stop_server
  fi
  wanted cold-signed || return 0
  start_server "$b" 0 "$WORK/policies-signed"
  if allowed "$WORK/review-signed.json"; then
    hey_post "$WORK/review-signed.json" /dev/null -z "$WARMUP" -c 8 -q 25
    hey_post "$WORK/review-signed.json" "$WORK/$b-$r-signed.txt" -z "$DURATION" -c 8 -q 25; record "$b" "$r" cold-signed "$WORK/$b-$r-signed.txt"
  else
    echo "  $b: cold-signed skipped (this server does not allow the signed fixture)"
  fi
  stop_server
}

echo "webhook before/after: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $ROUNDS rounds of $DURATION"
for r in $(seq "$ROUNDS"); do
  echo "round $r (load average $(cut -d' ' -f1 /proc/loadavg)):"
  if (( r % 2 )); then measure before "$r"; measure after "$r"; else measure after "$r"; measure before "$r"; fi
done
python3 - "$WORK/results.tsv" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
print("medians over rounds (after / before):")
for load, col, unit in (("warm", 5, "p99 ms"), ("warm", 4, "p50 ms"), ("warm", 7, "CPU ms"), ("saturation", 3, "req/s"), ("saturation", 7, "CPU ms"),
                        ("saturation", 8, "KiB"), ("cold", 5, "p99 ms"), ("cold", 7, "CPU ms"), ("cold-signed", 5, "p99 ms"), ("cold-signed", 7, "CPU ms")):
    med = {}
    for build in ("before", "after"):
        values = [float(r[col]) for r in rows if r[0] == build and r[2] == load and r[col] != "nan"]
        if values: med[build] = statistics.median(values)
    if len(med) == 2:
        print(f"  {load:<11} {unit:<7} before {med['before']:9.2f}   after {med['after']:9.2f}   ratio {med['after'] / med['before']:.3f}")
PY
