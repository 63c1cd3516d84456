#!/usr/bin/env bash
# Compares `attest gosum verify` with `go mod verify` on the same generated module cache, in one run, and
# Attest's h1 hashing with sha256sum over the same bytes. Offline: modules come from a file:// GOPROXY.
#   bench/gosum-vs-go.sh [MODULES=200] [KIB_PER_MODULE=640]
# (attest runs without GOSUMDB=off, which it would otherwise report as a finding.)
# Prints the timings and the ratios. Needs go (Debian golang-go), python3 and a Release build of the CLI
# (the script builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
modules=${1:-200}
kib=${2:-640}
work=$(mktemp -d /tmp/attest-gosum-bench-XXXXXX)
cleanup() { chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"; }
[ "${KEEP:-}" = 1 ] || trap cleanup EXIT

dotnet build src/Attest.Cli -c Release --nologo -v quiet -clp:ErrorsOnly >/dev/null
attest=(env -u GOSUMDB dotnet "$PWD/src/Attest.Cli/bin/Release/net10.0/attest.dll")

# --- generate modules and a file proxy -------------------------------------------------------------------------
python3 - "$work/proxy" "$modules" "$kib" <<'PY'
import io, json, os, random, sys, zipfile
proxy, count, kib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(42)
words = [b"func", b"return", b"package", b"import", b"struct", b"interface", b"var", b"const", b"if", b"else"]
for i in range(count):
    path, version = f"example.com/bench/m{i:03d}", "v1.0.0"
    mod = f"module {path}\n\ngo 1.17\n".encode()
    files = {"go.mod": mod, f"m{i:03d}.go": f"package m{i:03d}\n\nconst N = {i}\n".encode()}
    left, n = kib * 1024, 0
    while left > 0:
        size = min(left, rnd.choice([4096, 16384, 65536, 131072]))
        if n % 2 == 0:
            data = os.urandom(size)                                   # incompressible
        else:
            data = b" ".join(rnd.choice(words) for _ in range(size // 5))[:size]
        files[f"data/d{n // 10}/f{n}.bin"] = data
        left -= size; n += 1
    d = os.path.join(proxy, path, "@v"); os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "list"), "w").write(version + "\n")
    open(os.path.join(d, version + ".info"), "w").write(json.dumps({"Version": version, "Time": "2024-01-02T03:04:05Z"}))
    open(os.path.join(d, version + ".mod"), "wb").write(mod)
    with zipfile.ZipFile(os.path.join(d, version + ".zip"), "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(f"{path}@{version}/{name}", data)
PY

export HOME="$work/home" GOPATH="$work/gopath" GOMODCACHE="$work/gopath/pkg/mod" GOCACHE="$work/gocache" \
       GOPROXY="file://$work/proxy" GOSUMDB=off GOFLAGS=-mod=mod GO111MODULE=on GOTOOLCHAIN=local GOWORK=off GOENV=off
unset GONOSUMDB GOPRIVATE
mkdir -p "$HOME" "$work/main"
{
  printf 'module example.com/bench/main\n\ngo 1.17\n\nrequire (\n'
  for ((i = 0; i < modules; i++)); do printf '\texample.com/bench/m%03d v1.0.0\n' "$i"; done
  printf ')\n'
} >"$work/main/go.mod"
# go.sum: both lines for every module, exactly as go reports them.
cat >"$work/sum.py" <<'PY'
import json, sys
dec, buf, pos, out = json.JSONDecoder(), sys.stdin.read(), 0, []
while pos < len(buf):
    while pos < len(buf) and buf[pos].isspace():
        pos += 1
    if pos >= len(buf):
        break
    m, pos = dec.raw_decode(buf, pos)
    out.append("%s %s %s\n%s %s/go.mod %s\n" % (m["Path"], m["Version"], m["Sum"], m["Path"], m["Version"], m["GoModSum"]))
sys.stdout.write("".join(sorted(out)))
PY
(cd "$work/main" && go mod download -json $(for ((i = 0; i < modules; i++)); do printf 'example.com/bench/m%03d@v1.0.0 ' "$i"; done) \
  | python3 "$work/sum.py" >go.sum)

bytes=$(du -sb "$GOMODCACHE/example.com" | cut -f1)
zips=$(du -cb "$GOMODCACHE"/cache/download/example.com/bench/*/@v/*.zip | tail -1 | cut -f1)
echo "module cache: $modules modules, $((bytes / 1048576)) MiB extracted, $((zips / 1048576)) MiB of zips"

once() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }; e=$(date +%s.%N); echo "$e - $s" | bc; }
# Best of $RUNS (default 3): the machine is shared, so the minimum is the least disturbed measurement.
seconds() { local best="" t; for ((r = 0; r < ${RUNS:-3}; r++)); do t=$(once "$@"); if [ -z "$best" ] || (( $(echo "$t < $best" | bc) )); then best=$t; fi; done; echo "$best"; }
# Warm the page cache once, then time each tool on the same data.
cat "$GOMODCACHE"/cache/download/example.com/bench/*/@v/*.zip >/dev/null
find "$GOMODCACHE/example.com" -type f -exec cat {} + >/dev/null
go_s=$(cd "$work/main" && seconds go mod verify)
at_s=$(seconds "${attest[@]}" gosum verify "$work/main" --modcache "$GOMODCACHE")
echo "go mod verify:        ${go_s}s"
echo "attest gosum verify:  ${at_s}s   (same zips + extracted trees, plus .mod files, compared with go.sum)"
echo "ratio go/attest:      $(echo "scale=2; $go_s / $at_s" | bc)x"

# Hashing throughput over the same bytes: one module tree of all generated data, sha256sum vs attest gosum hash.
big="$GOMODCACHE/example.com/bench"
sha_s=$(seconds bash -c "find '$big' -type f -print0 | xargs -0 sha256sum")
hash_s=$(seconds bash -c "${attest[*]} gosum hash '$big' --module example.com/bench@v1.0.0")
echo "sha256sum over ${bytes} bytes:       ${sha_s}s ($(echo "scale=0; $bytes / $sha_s / 1048576" | bc) MiB/s)"
echo "attest gosum hash over same bytes:   ${hash_s}s ($(echo "scale=0; $bytes / $hash_s / 1048576" | bc) MiB/s)"
echo "attest throughput / sha256sum:       $(echo "scale=2; $sha_s / $hash_s" | bc)"
