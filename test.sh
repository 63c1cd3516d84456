#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need (only what is missing), restores
# (locked mode when CI=true), builds with warnings as errors, runs every test project of Attest.sln against the
# real test rig, and ends with one summary line: "tests: N passed, N failed, N skipped".
#   ./test.sh                 everything
#   ./test.sh --filter X      passes extra arguments to dotnet test (e.g. --filter FullyQualifiedName~Ledger)
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

# --- prerequisites (Debian packages) --------------------------------------------------------------------------
missing=()
have() { command -v "$1" >/dev/null 2>&1; }
have docker-registry || missing+=(docker-registry)   # real OCI registry (CNCF Distribution)
have skopeo          || missing+=(skopeo)            # copies OCI images into the test registry
have htpasswd        || missing+=(apache2-utils)     # bcrypt htpasswd for registry basic auth
have go              || missing+=(golang-go)         # the Go toolchain: oracle for h1 hashes and go.sum
have openssl         || missing+=(openssl)           # independent signatures (cosign's legacy layout)
have jq              || missing+=(jq)
have curl            || missing+=(curl)
have node            || missing+=(nodejs)            # sigstore-js peer and npm-generated SBOMs
have npm             || missing+=(npm)
have chromium        || missing+=(chromium)          # headless browser for the audit page test (driven by playwright-core)
have afl-fuzz        || missing+=(afl++)             # coverage-guided fuzzing of the parsers (tests/fuzz, with SharpFuzz)
have promtool        || missing+=(prometheus)        # real Prometheus scraping the server, and promtool checking metrics and rules
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)   # real PostgreSQL server
if ((${#missing[@]})); then
  echo "test.sh: installing ${missing[*]}"
  if [ "$(id -u)" != 0 ]; then
    echo "test.sh: error: missing packages and not root; run: sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- npm test tools (lockfile-pinned, integrity-checked; reinstalled only when the lockfile changes) -----------
npm_tool() {
  local dir=$1
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
  fi
}
npm_tool tests/tools/sigstore-js      # sigstore-js: independent verifier of the bundles Attest issues

# --- build and test ---------------------------------------------------------------------------------------------
dotnet restore Attest.sln --nologo -v quiet
dotnet tool restore >/dev/null                        # SharpFuzz.CommandLine (pinned in .config/dotnet-tools.json)
dotnet build Attest.sln --no-restore --nologo -v quiet -clp:ErrorsOnly
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# A hung test is reported (with a dump) after 10 minutes instead of eating CI's 90.
dotnet test Attest.sln --no-build --nologo --blame-hang-timeout 10m "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Fuzzing smoke run: every fuzz target briefly under afl-fuzz on a SharpFuzz-instrumented copy of this build, so that
# harnesses never rot (the seeds and regression inputs also run through the plain harness in Attest.Fuzz.Tests).
if [ $# -eq 0 ]; then
  fuzz_work=$(mktemp -d)
  started=$SECONDS
  FUZZ_WORK=$fuzz_work FUZZ_PREBUILT=tests/fuzz/Attest.Fuzz/bin/Debug/net10.0 tests/fuzz/fuzz.sh smoke 3 || status=1
  echo "fuzz smoke: $((SECONDS - started)) s"
  rm -rf "$fuzz_work"
fi
set -e

# One line for humans and CI: totals over every test assembly.
awk '/^(Passed|Failed)! +- Failed: / {
       gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) }
       n++ }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s; if (n == 0) exit 1 }' "$log" || {
  echo "test.sh: error: no test assembly reported results" >&2; exit 1; }
exit "$status"
