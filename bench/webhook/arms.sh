#!/usr/bin/env bash
# The cached admission path at saturation for several builds or settings ("arms") side by side, for finding where a
# cost came from (a survey of revisions, one setting switched off, the ledger left out):
#   bench/webhook/arms.sh NAME=REV[|server arguments] ...
#   e.g. ROUNDS=2 bench/webhook/arms.sh old=91a908d new=HEAD 'new-dry=HEAD|@dry' 'no-telemetry=HEAD|--Attest:Telemetry:Enabled=false'
# Each revision is built once (Release, from a temporary detached worktree); "@dry" among an arm's arguments sends dry-run
# AdmissionReviews, which are decided but not recorded in the ledger. Per round every arm gets a fresh server and data
# directory, WARMUP (default 30s) of LOAD (hey's options; default 32 workers flat out; for the verdict cache off, e.g.
# LOAD="-c 8 -q 25" with --Attest:Admission:VerdictCacheSeconds=0), then DURATION (default 10s) measured; the arms' order alternates between
# rounds, as this machine is shared and noisy. Printed per arm and round: requests/s, the server's CPU time per answered
# request (utime + stime from /proc) and its context switches per request; then the medians.
# Rig and load as bench/webhook/before-after.sh (bench/webhook/rig.sh); everything binds 127.0.0.1 on free ports.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
[ $# -ge 1 ] || { echo "usage: bench/webhook/arms.sh NAME=REV[|server arguments] ..." >&2; exit 2; }
ROUNDS="${ROUNDS:-3}"; DURATION="${DURATION:-10s}"; WARMUP="${WARMUP:-30s}"; read -r -a LOAD <<<"${LOAD:--c 32}"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_setup hey docker-registry openssl curl python3 git
TREES=()
AT_EXIT+=('for t in "${TREES[@]}"; do git -C "$ROOT" worktree remove --force "$t" 2>/dev/null || true; done')

build() { # revision -> BIN, the directory of its server (built once per commit)
  local commit; commit=$(git -C "$ROOT" rev-parse --short "$1^{commit}")
  BIN="$WORK/bin-$commit"
  [ -f "$BIN/Attest.Server.dll" ] && return 0
  git -C "$ROOT" worktree add --detach --quiet "$WORK/tree-$commit" "$commit"; TREES+=("$WORK/tree-$commit")
  dotnet build -c Release "$WORK/tree-$commit/src/Attest.Server" -o "$BIN" -v quiet -nologo >/dev/null
  echo "built $1 = $(git -C "$ROOT" log --oneline -1 "$commit" | cut -c1-100)"
}
NAMES=(); BINS=(); EXTRA=()
for arm in "$@"; do
  name=${arm%%=*}; rest=${arm#*=}; rev=${rest%%|*}; extra=""; [[ $rest == *"|"* ]] && extra=${rest#*|}
  build "$rev"
  NAMES+=("$name"); BINS+=("$BIN"); EXTRA+=("$extra")
done

# shellcheck source=bench/webhook/rig.sh
source "$ROOT/bench/webhook/rig.sh"
sed 's/"dryRun":false/"dryRun":true/' "$WORK/review.json" >"$WORK/review-dry.json"
grep -q '"dryRun":true' "$WORK/review-dry.json"

context_switches() { cat "/proc/$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {s += $2} END {print s + 0}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
run_arm() { # index round
  local i=$1 r=$2 port data review="$WORK/review.json" extra=${EXTRA[$1]}
  if [[ " $extra " == *" @dry "* ]]; then review="$WORK/review-dry.json"; extra=${extra//@dry/}; fi
  port=$(free_port); data="$WORK/data-$i-$r"; mkdir -p "$data"
  # shellcheck disable=SC2086 # the arm's server arguments are words
  (cd "$WORK" && exec dotnet "${BINS[$i]}/Attest.Server.dll" --urls "https://127.0.0.1:$port" \
     --Kestrel:Certificates:Default:Path="$WORK/tls.crt" --Kestrel:Certificates:Default:KeyPath="$WORK/tls.key" \
     --Attest:DataDirectory="$data" --Attest:PolicyDirectory="$WORK/policies" --Attest:Registries:Insecure:0="$REG" \
     --Attest:Admission:VerdictCacheSeconds=60 --Logging:LogLevel:Default=Warning $extra) >"$WORK/server.log" 2>&1 &
  local pid=$!; PIDS+=($pid)
  for _ in $(seq 600); do curl -skf "https://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
  curl -skf "https://127.0.0.1:$port/readyz" >/dev/null || { echo "arm ${NAMES[$i]}: the server did not start:" >&2; tail "$WORK/server.log" >&2; exit 1; }
  local url="https://127.0.0.1:$port/admission/validate"
  hey -m POST -T application/json -D "$review" -z "$WARMUP" "${LOAD[@]}" "$url" >/dev/null
  local t0 c0 t1 c1; t0=$(cpu_ticks $pid); c0=$(context_switches $pid)
  hey -m POST -T application/json -D "$review" -z "$DURATION" "${LOAD[@]}" "$url" >"$WORK/load.txt"
  t1=$(cpu_ticks $pid); c1=$(context_switches $pid)
  kill $pid; wait $pid 2>/dev/null || true
  python3 - "${NAMES[$i]}" "$r" "$WORK/load.txt" $((t1 - t0)) $((c1 - c0)) "$(getconf CLK_TCK)" <<'PY' | tee -a "$WORK/results.tsv"
import re, sys
name, rnd, path, ticks, switches, hz = sys.argv[1:]
text = open(path).read()
rps = float(re.search(r"Requests/sec:\s+([0-9.]+)", text).group(1))
ok = max(sum(int(n) for n in re.findall(r"\[200\]\s+(\d+) responses", text)), 1)
print(f"{name}\t{rnd}\t{rps:.0f}\t{int(ticks) * 1e6 / int(hz) / ok:.1f}\t{int(switches) / ok:.2f}")
PY
}

echo "arms: $*; load: hey ${LOAD[*]}; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $ROUNDS rounds of $DURATION after $WARMUP"
echo -e "arm\tround\treq/s\tCPU us/request\tswitches/request"
for r in $(seq "$ROUNDS"); do
  order=$(seq 0 $((${#NAMES[@]} - 1))); (( r % 2 )) || order=$(echo "$order" | tac)
  for i in $order; do run_arm "$i" "$r"; done
done
python3 - "$WORK/results.tsv" <<'PY'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
print("medians over rounds:")
for name in dict.fromkeys(r[0] for r in rows):
    mine = [r for r in rows if r[0] == name]
    med = lambda col: statistics.median(float(r[col]) for r in mine)
    print(f"  {name:<16} {med(2):8.0f} req/s   CPU {med(3):6.1f} us/request   {med(4):5.2f} switches/request")
PY
