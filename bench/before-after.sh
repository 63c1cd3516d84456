#!/usr/bin/env bash
# Two revisions of Attest measured against each other in one run (issue 18: the libraries before and after).
#   bench/before-after.sh BEFORE_REV AFTER_REV [ROUNDS=3]
# Each revision is checked out into its own temporary `git worktree add --detach` (removed at exit) and built there in
# Release (its server and its bench/Attest.Benchmarks). Then, ROUNDS times, every metric is measured on both revisions
# one right after the other (which one goes first alternates round by round), so that the two numbers of a pair are
# neighbours in time and share whatever load the shared machine is under:
#   verify     bundle verifications/s: each revision's own `Attest.Benchmarks verify-throughput` on the same manifest
#              (the sigstore-conformance happy paths, as bench/verify-vs-sigstore-js.sh runs it: one thread pinned to
#              BENCH_CPU, default 1, VERIFY_SECONDS each, default 5, after the benchmark's own warm-up).
#   ledger     durable SQLite ledger appends/s with 1, 8 and 64 concurrent writers: each revision's own
#              LedgerAppendBenchmarks (BenchmarkDotNet in process: 1 warm-up and LEDGER_ITERATIONS, default 5,
#              iterations of 1024 appends; the rate is 1 / the median time per append).
#   signing    POST /v1/signatures/s through each revision's real server: the load of bench/signing/run.sh
#              (SIGNING_CLIENTS, default 16, clients with their own tokens, a `hey` loader each, for DURATION, default 20s).
#   tokens     POST /oauth/token/s (client_credentials) through each revision's real server: the load of
#              bench/tokens/run.sh (TOKEN_CLIENTS, default 8, loaders sharing one client, the per-address limit lifted).
#   keyless    complete keyless signatures/s (certificate, Rekor entry with inclusion proof, timestamp) through each
#              revision's real server: the load of bench/keyless/run.sh (KEYLESS_CLIENTS, default 16, for KEYLESS_SECONDS,
#              default 20, after a 10 s warm-up), always from the after revision's load client, so only the server differs.
# The HTTP loads come from this tree's bench/lib.sh, so both servers get exactly the same requests; only the build
# differs. Each server starts fresh (its own data directory, its revision's policies) on a free loopback port and is
# stopped after its measurement. METRICS (default "verify ledger signing tokens") chooses a subset.
# With each HTTP rate, the server's CPU time per request (signing-cpu, tokens-cpu, keyless-cpu: user + system time of the server
# process over the load divided by the requests answered; lower is better), which the neighbours' load disturbs less
# than the rate. Printed: every pair as it is measured (with the load average), then per metric the median of each
# revision, the ratio after/before of the medians and the median of the per-round ratios (the number to read on a
# noisy machine).
# A load answered with any non-2xx is reported and fails the script rather than counting as throughput.
# Needs hey, curl, jq, python3, taskset, bc and the sigstore-conformance tools (see bench/verify-vs-sigstore-js.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -ge 2 ] || { echo "usage: bench/before-after.sh BEFORE_REV AFTER_REV [ROUNDS=3]" >&2; exit 2; }
ROUNDS=${3:-3}
DURATION=${DURATION:-20s}; VERIFY_SECONDS=${VERIFY_SECONDS:-5}; LEDGER_ITERATIONS=${LEDGER_ITERATIONS:-5}
SIGNING_CLIENTS=${SIGNING_CLIENTS:-16}; TOKEN_CLIENTS=${TOKEN_CLIENTS:-8}; BENCH_CPU=${BENCH_CPU:-1}
KEYLESS_CLIENTS=${KEYLESS_CLIENTS:-16}; KEYLESS_SECONDS=${KEYLESS_SECONDS:-20}
read -r -a METRIC_LIST <<<"${METRICS:-verify ledger signing tokens}"
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_setup hey curl jq python3 taskset bc git
for m in "${METRIC_LIST[@]}"; do
  case $m in verify | ledger | signing | tokens | keyless) ;; *) echo "before-after.sh: unknown metric '$m'" >&2; exit 2 ;; esac
done
MANIFEST=""
[[ " ${METRIC_LIST[*]} " != *" verify "* ]] || MANIFEST="$(bench_conformance_dir)/results/bench-manifest-conformance-happy-paths.json"

# --- the two revisions, each in its own worktree, built in Release -----------------------------------------------
declare -A TREE COMMIT
for side in before after; do
  rev=$([ "$side" = before ] && echo "$1" || echo "$2")
  COMMIT[$side]=$(git -C "$ROOT" rev-parse --verify --quiet "$rev^{commit}") || { echo "before-after.sh: no revision '$rev'" >&2; exit 2; }
  TREE[$side]="$WORK/tree-$side"
  git -C "$ROOT" worktree add --detach --quiet "${TREE[$side]}" "${COMMIT[$side]}"
  AT_EXIT+=("git -C '$ROOT' worktree remove --force '${TREE[$side]}'")
  echo "$side: $rev = $(git -C "$ROOT" log -1 --format='%h %s' "${COMMIT[$side]}" | cut -c1-100)"
done
for side in before after; do
  for project in src/Attest.Server bench/Attest.Benchmarks; do
    dotnet build -c Release "${TREE[$side]}/$project" -v quiet -nologo -clp:ErrorsOnly >"$WORK/build-$side.log" 2>&1 \
      || { echo "before-after.sh: the $side revision does not build ($project):" >&2; tail -20 "$WORK/build-$side.log" >&2; exit 1; }
  done
done
bench_dll() { echo "${TREE[$1]}/bench/Attest.Benchmarks/bin/Release/net10.0/Attest.Benchmarks.dll"; }

# --- one measurement: measure_METRIC SIDE ROUND appends "KEY VALUE" lines to $WORK/results ------------------------
record() { echo "$1 $2 $3 $4" >>"$WORK/results"; }   # metric side round value

measure_verify() {
  local out rate
  # DOTNET_TC_CallCountingDelayMs=0 as in bench/verify-vs-sigstore-js.sh (a shorter tiering warm-up, same steady state).
  out=$(env DOTNET_TC_CallCountingDelayMs=0 taskset -c "$BENCH_CPU" dotnet "$(bench_dll "$1")" verify-throughput "$MANIFEST" "$VERIFY_SECONDS")
  rate=$(sed -n 's/.*: \([0-9.]*\) bundles\/s.*/\1/p' <<<"$out")
  [ -n "$rate" ] || { echo "before-after.sh: the $1 revision's verify-throughput printed no rate: $out" >&2; exit 1; }
  record verify "$1" "$2" "$rate"
}

measure_ledger() {
  local artifacts="$WORK/ledger-$1-$2" report writers
  # No ATTEST_BENCH_POSTGRES: the SQLite store only. The JSON report's times are nanoseconds per append.
  (cd "$WORK" && env -u ATTEST_BENCH_POSTGRES dotnet "$(bench_dll "$1")" --filter '*LedgerAppend*' --inProcess --launchCount 1 \
    --warmupCount 1 --iterationCount "$LEDGER_ITERATIONS" --exporters json --artifacts "$artifacts" >"$artifacts.log" 2>&1) \
    || { echo "before-after.sh: the $1 revision's ledger benchmark failed:" >&2; tail -20 "$artifacts.log" >&2; exit 1; }
  report=$(find "$artifacts" -name '*LedgerAppend*.json' | head -1)
  for writers in 1 8 64; do
    local ns; ns=$(jq -r --arg w "$writers" '.Benchmarks[] | select(.Parameters | test("(^|&)Writers=" + $w + "($|&)")) | .Statistics.Median' "$report")
    [ -n "$ns" ] && [ "$ns" != null ] || { echo "before-after.sh: no ledger result for $writers writers in $report" >&2; exit 1; }
    record "ledger-$writers" "$1" "$2" "$(echo "scale=1; 1000000000 / $ns" | bc)"
  done
}

# http_load SIDE ROUND METRIC PREPARE ARGS SERVER_ARG... : a fresh server of SIDE, PREPARE's set-up, the load, the server stopped.
http_load() {
  local side=$1 round=$2 metric=$3 prepare=$4 args=$5 count; shift 5
  bench_launch_server "${TREE[$side]}" "$WORK/server-$metric-$side-$round" "$@"
  case $metric in signing) count=$SIGNING_CLIENTS ;; *) count=$TOKEN_CLIENTS ;; esac
  $prepare "$count"
  bench_run "$metric-$side-$round" "$count" "$args" >/dev/null
  bench_stop_server
  local bad; bad=$(cat "$WORK/$metric-$side-$round.bad")
  [ "$bad" = 0 ] || { echo "before-after.sh: $bad non-2xx answers in the $side revision's $metric load (round $round)" >&2; exit 1; }
  record "$metric" "$side" "$round" "$(cat "$WORK/$metric-$side-$round.rps")"
  record "$metric-cpu" "$side" "$round" "$(cat "$WORK/$metric-$side-$round.cpu")"
}
measure_signing() { http_load "$1" "$2" signing bench_signing_clients bench_signature_args; }
measure_tokens() { http_load "$1" "$2" tokens bench_token_client bench_token_args --Attest:Auth:TokenRequestsPerSecond=1000000; }

measure_keyless() {
  local side=$1 round=$2 issuer="$WORK/keyless-issuer" client out
  client=$(bench_dll after)
  [ -f "$issuer/token" ] || dotnet "$client" keyless-issuer "$issuer" >/dev/null
  bench_launch_server "${TREE[$side]}" "$WORK/server-keyless-$side-$round" --Attest:Auth:PermitsPerSecond=1000000 --Attest:Auth:Burst=1000000 \
    --Attest:Keyless:Issuers:0:Issuer=https://bench.attest.test --Attest:Keyless:Issuers:0:Type=github-workflow \
    --Attest:Keyless:Issuers:0:JwksFile="$issuer/jwks.json"
  # One load process: 10 s unmeasured (both JITs settle), then KEYLESS_SECONDS measured, the server's CPU time read
  # over that window only.
  out=$(dotnet "$client" keyless-load "$URL" "$issuer/token" "$KEYLESS_CLIENTS" "$KEYLESS_SECONDS" 10 "$SERVER_PID") \
    || { echo "before-after.sh: the $side revision's keyless load failed: $out" >&2; exit 1; }
  bench_stop_server
  local completed rate cpu; completed=$(awk '/complete keyless signatures/ {print $1}' <<<"$out"); rate=$(sed -n 's/.*: \([0-9.]*\)\/s .*/\1/p' <<<"$out")
  cpu=$(awk '/server CPU/ {print $3 * 1000}' <<<"$out")
  [ -n "$rate" ] && [ -n "$cpu" ] && [ "$completed" -gt 0 ] || { echo "before-after.sh: the keyless load printed no rate: $out" >&2; exit 1; }
  record keyless "$side" "$round" "$rate"
  record keyless-cpu "$side" "$round" "$cpu"
}

keys_of() { case $1 in ledger) echo ledger-1 ledger-8 ledger-64 ;; signing | tokens | keyless) echo "$1" "$1-cpu" ;; *) echo "$1" ;; esac; }
value() { awk -v k="$1" -v s="$2" -v r="$3" '$1 == k && $2 == s && $3 == r { print $4 }' "$WORK/results"; }
unit() { case $1 in verify) echo bundles/s ;; ledger-*) echo appends/s ;; signing | keyless) echo signatures/s ;; tokens) echo tokens/s ;; *-cpu) echo us/request ;; esac; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "rounds: $ROUNDS, $(nproc) cores, load average at the start: $(load)"
: >"$WORK/results"
for ((r = 1; r <= ROUNDS; r++)); do
  order=(before after); ((r % 2)) || order=(after before)
  for m in "${METRIC_LIST[@]}"; do
    started_load=$(load)
    for side in "${order[@]}"; do "measure_$m" "$side" "$r"; done
    for k in $(keys_of "$m"); do
      b=$(value "$k" before "$r"); a=$(value "$k" after "$r")
      printf 'round %d  %-10s before %9.1f  after %9.1f %-12s  after/before %.3f   (load %s, %s first)\n' \
        "$r" "$k" "$b" "$a" "$(unit "$k")" "$(echo "scale=6; $a / $b" | bc)" "$started_load" "${order[0]}"
    done
  done
done

echo
echo "medians over $ROUNDS rounds (before ${COMMIT[before]:0:10}, after ${COMMIT[after]:0:10}); load average at the end: $(load)"
printf '%-10s %12s %12s %-12s %14s %18s\n' metric before after unit "ratio(medians)" "median(ratios)"
for m in "${METRIC_LIST[@]}"; do
  for k in $(keys_of "$m"); do
    b=$(for ((r = 1; r <= ROUNDS; r++)); do value "$k" before "$r"; done | bench_median)
    a=$(for ((r = 1; r <= ROUNDS; r++)); do value "$k" after "$r"; done | bench_median)
    q=$(for ((r = 1; r <= ROUNDS; r++)); do echo "scale=6; $(value "$k" after "$r") / $(value "$k" before "$r")" | bc; done | bench_median)
    printf '%-10s %12.1f %12.1f %-12s %14.3f %18.3f\n' "$k" "$b" "$a" "$(unit "$k")" "$(echo "scale=6; $a / $b" | bc)" "$q"
  done
done
