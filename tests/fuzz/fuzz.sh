#!/usr/bin/env bash
# Coverage-guided fuzzing of Attest's parsers with AFL++ and SharpFuzz (tests/fuzz/README.md).
#   tests/fuzz/fuzz.sh build                      build the harness into $FUZZ_WORK/bin (default tests/fuzz/.work/bin;
#                                                 FUZZ_PREBUILT=DIR copies a build instead) and instrument Attest's assemblies
#   tests/fuzz/fuzz.sh run TARGET [CPU_SECONDS] [resume]
#                                                 one campaign (default 600 CPU-seconds), findings in $FUZZ_WORK/findings/TARGET;
#                                                 `resume` continues the last campaign of TARGET where it stopped
#   tests/fuzz/fuzz.sh all [CPU_SECONDS]          every target in turn
#   tests/fuzz/fuzz.sh smoke [SECONDS]            every target under afl-fuzz for SECONDS of wall time (default 4): the
#                                                 harness starts, afl-fuzz sees instrumented coverage, no crash reproduces
#   tests/fuzz/fuzz.sh replay [TARGET...]         the plain harness over each target's corpus and regressions
# A campaign's budget is CPU time (afl-fuzz, the harness and its child, measured from /proc), not wall time, so that a
# campaign under `nice -n 19` on a shared machine still gets what it was promised. Each finished campaign appends a
# line to $FUZZ_WORK/campaigns.tsv.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${FUZZ_WORK:-$here/.work}
bin=$work/bin
plain=$work/plain
harness=$bin/Attest.Fuzz.dll
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# afl-fuzz drives `dotnet`, which is not instrumented itself: SharpFuzz reports the coverage of the instrumented
# assemblies through afl's shared memory. No CPU pinning on a shared machine; no curses UI in logs.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
export AFL_FORKSRV_INIT_TMOUT=120000
# Unbounded memory is a finding: past 1 GiB of managed heap the harness gets an OutOfMemoryException, a crash.
export DOTNET_GCHeapHardLimit=0x40000000 DOTNET_gcServer=0
timeout_ms=${FUZZ_TIMEOUT_MS:-5000}

targets() { dotnet "$plain/Attest.Fuzz.dll" list; }

build() {
  rm -rf "$bin" "$plain"
  if [ -n "${FUZZ_PREBUILT:-}" ]; then
    # test.sh has just built the solution: instrument a copy of that output instead of building again.
    mkdir -p "$plain" && cp -r "$FUZZ_PREBUILT"/. "$plain"/
  else
    dotnet build "$here/Attest.Fuzz/Attest.Fuzz.csproj" -c Release -o "$plain" --nologo -v quiet -clp:ErrorsOnly >&2
  fi
  # The plain copy stays uninstrumented: crashes are triaged with it (an instrumented assembly faults outside afl-fuzz).
  mkdir -p "$bin" && cp -r "$plain"/. "$bin"/
  (cd "$repo" && dotnet tool restore >/dev/null)
  for dll in "$bin"/Attest.*.dll; do
    [ "$(basename "$dll")" = Attest.Fuzz.dll ] && continue
    (cd "$repo" && dotnet tool run sharpfuzz "$dll" >/dev/null)
  done
}

ensure_built() { [ -f "$harness" ] && [ -f "$plain/Attest.Fuzz.dll" ] || build; }

# Replays what afl-fuzz saved as crashes in $2/default/crashes through the plain harness; prints how many reproduce
# and keeps them in $2/reproduced. A crash that does not reproduce is SharpFuzz losing its child process (its
# out-of-process server reports any child death as a crash), not an input the parser fails on.
triage() {
  local target=$1 out=$2 file reproduced=0
  mkdir -p "$out/reproduced"
  for file in "$out"/default/crashes/id:*; do
    [ -f "$file" ] || continue
    if ! timeout 60 dotnet "$plain/Attest.Fuzz.dll" "$target" replay "$file" >"$out/reproduced/last.log" 2>&1; then
      reproduced=$((reproduced + 1)); cp "$file" "$out/reproduced/"; cat "$out/reproduced/last.log" >> "$out/reproduced/findings.log"
    fi
  done
  rm -f "$out/reproduced/last.log"
  echo "$reproduced"
}

# CPU seconds used so far by process $1 and all its descendants, live and reaped (afl-fuzz runs the harness in a
# session of its own, so neither the process group nor the session finds it). Processes come and go while /proc is
# read: cat skips the vanished ones.
cpu_seconds() {
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v root="$1" -v hz="$(getconf CLK_TCK)" '
    {
      pid = $1; line = $0; sub(/^[0-9]+ \(.*\) /, "", line); split(line, f, " ")
      parent[pid] = f[2]; ticks[pid] = f[12] + f[13] + f[14] + f[15]
    }
    END {
      total = 0
      for (pid in ticks) { p = pid; while (p != "" && p != root && (p + 0) > 1) p = parent[p]; if (p == root) total += ticks[pid] }
      print int(total / hz)
    }'
}

stat_of() { awk -F' *: *' -v k="$2" '$1 == k { print $2 }' "$1/default/fuzzer_stats" 2>/dev/null || true; }

afl() { # afl TARGET OUTDIR [afl-fuzz options...]
  local target=$1 out=$2; shift 2
  local dict=()
  [ -f "$here/dict/$target.dict" ] && dict=(-x "$here/dict/$target.dict")
  afl-fuzz -i "$here/corpus/$target" -o "$out" "${dict[@]}" -t "$timeout_ms+" -m none "$@" -- dotnet "$harness" "$target"
}

run() {
  local target=$1 budget=${2:-600} out="$work/findings/$1" resume=${3:-}
  ensure_built
  if [ "$resume" = resume ] && [ -f "$out/default/fuzzer_stats" ]; then
    export AFL_AUTORESUME=1 # continue the campaign in $out: its queue is the input
  else
    rm -rf "$out"; mkdir -p "$out"
  fi
  setsid bash -c "$(declare -f afl); here='$here' harness='$harness' timeout_ms='$timeout_ms'; afl '$target' '$out'" >>"$out/afl.log" 2>&1 &
  local leader=$! used=0
  # However this script ends, afl-fuzz gets SIGINT (it then stops the harness it started, in a session of its own).
  trap "kill -INT -- -$leader 2>/dev/null; sleep 5; kill -KILL -- -$leader 2>/dev/null" EXIT
  while kill -0 "$leader" 2>/dev/null; do
    sleep 10
    used=$(cpu_seconds "$leader") || used=0
    [ "$used" -ge "$budget" ] && break
  done
  if kill -0 "$leader" 2>/dev/null; then kill -INT -- -"$leader" 2>/dev/null || true; sleep 5; kill -KILL -- -"$leader" 2>/dev/null || true; fi
  wait "$leader" 2>/dev/null || true
  trap - EXIT
  local d="$out/default"
  [ -f "$d/fuzzer_stats" ] || { echo "fuzz.sh: $target: afl-fuzz did not start (see $out/afl.log)" >&2; tail -20 "$out/afl.log" >&2; return 1; }
  local crashes hangs reproduced
  crashes=$(find "$d/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
  hangs=$(find "$d/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
  reproduced=$(triage "$target" "$out")
  printf '%s\tcpu_s=%s\texecs=%s\tedges=%s/%s\tmap=%s\tcorpus=%s\tcrashes=%s\treproduced=%s\thangs=%s\twall_s=%s\n' "$target" "$used" \
    "$(stat_of "$out" execs_done)" "$(stat_of "$out" edges_found)" "$(stat_of "$out" total_edges)" "$(stat_of "$out" bitmap_cvg)" \
    "$(stat_of "$out" corpus_count)" "$crashes" "$reproduced" "$hangs" "$(stat_of "$out" run_time)" | tee -a "$work/campaigns.tsv"
}

smoke() {
  local seconds=${1:-4} failed=0 target out
  ensure_built
  for target in $(targets); do
    out="$work/smoke/$target"; rm -rf "$out"; mkdir -p "$out"
    # A fixed seed: the mutations a short smoke run tries are a prefix of what a longer run with the same seed tries,
    # so `fuzz.sh smoke 60` before a push covers what CI's shorter run will meet.
    if ! afl "$target" "$out" -s 1 -V "$seconds" >"$out/afl.log" 2>&1; then
      echo "fuzz.sh smoke: $target: afl-fuzz failed" >&2; tail -15 "$out/afl.log" >&2; failed=1; continue
    fi
    local execs edges crashes reproduced
    execs=$(stat_of "$out" execs_done); edges=$(stat_of "$out" edges_found)
    crashes=$(find "$out/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
    reproduced=$(triage "$target" "$out")
    echo "smoke $target: execs=$execs edges=$edges crashes=$crashes reproduced=$reproduced"
    if [ "${execs:-0}" -eq 0 ] || [ "${edges:-0}" -eq 0 ]; then echo "fuzz.sh smoke: $target ran no instrumented input" >&2; failed=1; fi
    if [ "$reproduced" -ne 0 ]; then echo "fuzz.sh smoke: $target found a crash:" >&2; head -20 "$out/reproduced/findings.log" >&2; failed=1; fi
  done
  return $failed
}

replay() {
  local target status=0
  ensure_built
  for target in "${@:-$(targets)}"; do
    local inputs=("$here/corpus/$target")
    [ -d "$here/regressions/$target" ] && inputs+=("$here/regressions/$target")
    dotnet "$plain/Attest.Fuzz.dll" "$target" replay "${inputs[@]}" || status=1
  done
  return $status
}

case "${1:-}" in
  build) build ;;
  run) [ $# -ge 2 ] || { echo "usage: fuzz.sh run TARGET [CPU_SECONDS] [resume]" >&2; exit 2; }; run "$2" "${3:-600}" "${4:-}" ;;
  all) ensure_built; for t in $(targets); do run "$t" "${2:-600}"; done ;;
  smoke) smoke "${2:-4}" ;;
  replay) shift; replay "$@" ;;
  *) sed -n '2,12p' "$0" >&2; exit 2 ;;
esac
