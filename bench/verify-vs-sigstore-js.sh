#!/usr/bin/env bash
# Bundle verification throughput of Attest vs the sigstore-js peer, in one run, on the same bundles, one core each.
#   bench/verify-vs-sigstore-js.sh [SECONDS=5] [ROUNDS=3] [MANIFEST]
# Both sides measure the same way (peer/bench-verify.cjs and `Attest.Benchmarks verify-throughput`, which mirrors
# it): every trusted root parsed once, each bundle parsed and its artifact hashed on every verification. The default
# manifest is the three conformance happy paths (v0.1, v0.2, v0.3) against the public-good root. The machine is shared,
# so the two tools alternate for ROUNDS rounds pinned to the same CPU (BENCH_CPU, default 1); printed are the best
# round of each (the least disturbed one) with their ratio, and the median of the per-round ratios (each round's two
# runs are neighbours in time, so they share the machine's load), and the cost per bundle against the floor of raw
# signature operations measured by `openssl speed` on the same CPU. Needs the peer installed (tools/sigstore-conformance/setup.sh); builds the benchmark (Release).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-5}
rounds=${2:-3}
ROOT=$PWD
# shellcheck source=bench/lib.sh
source bench/lib.sh
conformance=$(bench_conformance_dir)
manifest=${3:-$conformance/results/bench-manifest-conformance-happy-paths.json}
cpu=${BENCH_CPU:-1}

dotnet build bench/Attest.Benchmarks -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
# DOTNET_TC_CallCountingDelayMs=0 only shortens the warm-up: by default the runtime keeps postponing the call counting
# that promotes hot ReadyToRun framework code to tier 1, and on one busy core that takes about 30 s (ATTEST_BENCH_VERBOSE=1
# prints 5-second windows: without the setting the rate climbs from ~740 to the same ~870-910 bundles/s after 25-30 s).
attest=(env DOTNET_TC_CallCountingDelayMs=0 taskset -c "$cpu" dotnet "$PWD/bench/Attest.Benchmarks/bin/Release/net10.0/Attest.Benchmarks.dll" verify-throughput "$manifest" "$seconds")
peer=(taskset -c "$cpu" "$conformance/peer/peer-node" "$conformance/peer/bench-verify.cjs" "$manifest" "$seconds")

rate() { sed -n 's/.*: \([0-9.]*\) bundles\/s.*/\1/p'; }
# The floor: the raw signature operations each of these keyless bundles needs, as OpenSSL's own speed test does them on
# the same CPU (one P-384 verification for the Fulcio leaf; four P-256: SCT, SET, checkpoint, artifact signature).
# Attest's cost can fall below it: three of those five keys (Fulcio intermediate, CT log, Rekor) are trust material
# with their own tables of multiples (OpenSslKeyTable), which `openssl speed` does not have.
floor() {
  taskset -c "$cpu" openssl speed -seconds 2 ecdsap256 ecdsap384 2>/dev/null | awk '
    / 256 bits ecdsa/ { p256 = $NF } / 384 bits ecdsa/ { p384 = $NF }
    END { if (p256 > 0 && p384 > 0) printf "%.1f", 1 / (1 / p384 + 4 / p256) }'
}
best_floor=$(floor)
best_attest=0 best_peer=0 ratios=()
for ((r = 1; r <= rounds; r++)); do
  a=$("${attest[@]}"); p=$("${peer[@]}")
  ar=$(echo "$a" | rate); pr=$(echo "$p" | rate)
  ratios+=("$(echo "scale=2; $ar / $pr" | bc)")
  echo "round $r  attest:      $a"
  echo "round $r  sigstore-js: $p   (ratio ${ratios[-1]}x)"
  best_attest=$(printf '%s\n%s\n' "$best_attest" "$ar" | sort -g | tail -1)
  best_peer=$(printf '%s\n%s\n' "$best_peer" "$pr" | sort -g | tail -1)
done
f=$(floor); best_floor=$(printf '%s\n%s\n' "$best_floor" "$f" | sort -g | tail -1)
echo "floor:            $best_floor bundles/s (OpenSSL speed: 1 P-384 + 4 P-256 verifications per bundle, best of two runs)"
echo "best attest:      $best_attest bundles/s (cost per bundle $(echo "scale=2; $best_floor / $best_attest" | bc)x the floor)"
echo "best sigstore-js: $best_peer bundles/s"
echo "ratio attest/sigstore-js (best rounds):      $(echo "scale=2; $best_attest / $best_peer" | bc)x"
echo "ratio attest/sigstore-js (median of rounds): $(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')x"
