#!/usr/bin/env bash
# The private checksum database (issue 21), through the real server (Release build, SQLite, plain HTTP on loopback):
#  1. lookups/s (GET /sumdb/lookup/M@V of published modules, one hey process per module, CLIENTS at once), hash-tile
#     and data-tile requests/s, and GET /healthz in the same run for scale;
#  2. `go mod download` of MODULES private modules (a file:// GOPROXY, fresh module cache each round) with
#     GOSUMDB="<Attest's key> <url>/sumdb" against GONOSUMDB=corp.example (no check), alternating ROUNDS rounds each;
#     reports the median of each and the overhead of the checksum database (goal: under 20 %).
# Usage: bench/sumdb/run.sh [DURATION=10s] [CLIENTS=16] [MODULES=200] [ROUNDS=5]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DURATION="${1:-10s}"; CLIENTS="${2:-16}"; MODULES="${3:-200}"; ROUNDS="${4:-5}"
for tool in hey curl jq python3 go; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (apt-get install hey curl jq python3 golang-go)" >&2; exit 2; }
done
WORK="$(mktemp -d)"; PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  chmod -R u+w "$WORK" 2>/dev/null || true; rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

dotnet build -c Release "$ROOT/src/Attest.Server" -v quiet -nologo >/dev/null
PORT=$(free_port); URL="http://127.0.0.1:$PORT"
mkdir -p "$WORK/policies"; cp "$ROOT"/policies/*.yaml "$WORK/policies/"
(cd "$WORK" && exec dotnet "$ROOT/src/Attest.Server/bin/Release/net10.0/Attest.Server.dll" --urls "$URL" \
  --Attest:SumDb:Patterns=corp.example --Logging:LogLevel:Default=Warning >"$WORK/server.log" 2>&1) & PIDS+=($!)
for _ in $(seq 300); do curl -sf "$URL/readyz" >/dev/null && break; sleep 0.1; done
curl -sf "$URL/readyz" >/dev/null || { echo "run.sh: server did not start"; tail "$WORK/server.log"; exit 1; }

token() { curl -sf -u "$1:$2" -d grant_type=client_credentials "$URL/oauth/token" | jq -r .access_token; }
ADMIN=$(token "$(jq -r .client_id "$WORK/data/admin-credentials.json")" "$(jq -r .client_secret "$WORK/data/admin-credentials.json")")
c=$(curl -sf -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d '{"name":"bench-ci","scopes":["sign"]}' "$URL/v1/clients")
SIGN=$(token "$(jq -r .clientId <<<"$c")" "$(jq -r .clientSecret <<<"$c")")
VKEY=$(curl -sf "$URL/v1/sumdb/verifier-key" | jq -r .verifierKey)

# MODULES private modules on a file:// proxy, each published to Attest, and a main module requiring them all.
python3 - "$WORK" "$MODULES" <<'EOF'
import json, os, sys, zipfile
work, count = sys.argv[1], int(sys.argv[2])
requires = []
for i in range(count):
    path, version = f"corp.example/bench/m{i:03d}", "v1.0.0"
    d = os.path.join(work, "proxy", path, "@v"); os.makedirs(d, exist_ok=True)
    gomod = f"module {path}\n\ngo 1.17\n"
    with zipfile.ZipFile(os.path.join(d, version + ".zip"), "w") as z:
        z.writestr(f"{path}@{version}/go.mod", gomod)
        for f in range(20):
            z.writestr(f"{path}@{version}/f{f}.go", f"package m{i:03d}\n\nconst F{f} = {i * 100 + f}\n")
    open(os.path.join(d, version + ".mod"), "w").write(gomod)
    open(os.path.join(d, version + ".info"), "w").write(json.dumps({"Version": version, "Time": "2024-01-02T03:04:05Z"}))
    open(os.path.join(d, "list"), "w").write(version + "\n")
    requires.append(f"\t{path} {version}")
os.makedirs(os.path.join(work, "main"))
open(os.path.join(work, "main", "go.mod"), "w").write("module example.com/bench\n\ngo 1.19\n\nrequire (\n" + "\n".join(requires) + "\n)\n")
EOF
PUBLISH_START=$(date +%s.%N)
for i in $(seq 0 $((MODULES - 1))); do
  m=$(printf 'corp.example/bench/m%03d' "$i")
  curl -sf -o /dev/null -H "Authorization: Bearer $SIGN" -F "module=$m" -F version=v1.0.0 -F "zip=@$WORK/proxy/$m/@v/v1.0.0.zip" "$URL/v1/gosum/modules" \
    || { echo "run.sh: publishing $m failed"; exit 1; }
done
PUBLISHED_IN=$(python3 -c "print(f'{$(date +%s.%N) - $PUBLISH_START:.1f}')")

run() { # name url-template(%d = client) -> requests/s summed over clients, p50/p99 of client 1, non-2xx count
  local name=$1 template=$2 i loaders=()
  for i in $(seq "$CLIENTS"); do
    hey -z "$DURATION" -c 1 "$(printf "$template" $(( (i - 1) % MODULES )))" >"$WORK/$name-$i.txt" & loaders+=($!)
  done
  wait "${loaders[@]}"
  local rps bad p50 p99
  rps=$(awk '/Requests\/sec/ {s += $2} END {printf "%.0f", s}' "$WORK/$name"-*.txt)
  bad=$(cat "$WORK/$name"-*.txt | awk '/\[[0-9]+\]/ { gsub(/[\[\]]/, "", $1); if ($1 !~ /^2/) n += $2 } END {print n + 0}')
  p50=$(awk '/ 50% in/ {print $3 * 1000}' "$WORK/$name-1.txt"); p99=$(awk '/ 99% in/ {print $3 * 1000}' "$WORK/$name-1.txt")
  printf '%-12s %6s req/s   p50 %6.2f ms   p99 %6.2f ms   non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "$bad"
}
W=$(( MODULES < 256 ? MODULES : 256 )); P=$([ "$W" -lt 256 ] && echo ".p/$W" || echo "")
echo "checksum-database benchmark: $MODULES modules, $CLIENTS clients x $DURATION, $(nproc) cores"
echo "published $MODULES modules one after another (POST /v1/gosum/modules with curl) in $PUBLISHED_IN s"
run healthz "$URL/healthz?%d"
run lookups "$URL/sumdb/lookup/corp.example/bench/m%03d@v1.0.0"
run hash-tiles "$URL/sumdb/tile/8/0/000$P?%d"
run data-tiles "$URL/sumdb/tile/8/data/000$P?%d"

# go mod download of every module, with and without the checksum database, alternating.
download() { # mode round -> seconds
  local mode=$1 gp="$WORK/gopath-$1-$2"
  rm -f "$WORK/main/go.sum"
  local start end
  start=$(date +%s.%N)
  (cd "$WORK/main" && env -i PATH="$PATH" HOME="$WORK/home" GOPATH="$gp" GOMODCACHE="$gp/pkg/mod" GOCACHE="$WORK/gocache" GOENV=off \
    GOFLAGS=-mod=mod GO111MODULE=on GOTOOLCHAIN=local GOPROXY="file://$WORK/proxy" GOSUMDB="$VKEY $URL/sumdb" \
    GONOSUMDB="$([ "$mode" = nosumdb ] && echo corp.example || true)" go mod download) >"$WORK/go-$mode-$2.log" 2>&1 \
    || { echo "run.sh: go mod download ($mode) failed:"; tail -5 "$WORK/go-$mode-$2.log"; exit 1; }
  end=$(date +%s.%N)
  [ "$mode" = nosumdb ] || [ -d "$gp/pkg/mod/cache/download/sumdb" ] || { echo "run.sh: the go command did not use the checksum database"; exit 1; }
  chmod -R u+w "$gp"; rm -rf "$gp"
  python3 -c "print($end - $start)"
}
for r in $(seq "$ROUNDS"); do
  echo "$(download sumdb "$r")" >>"$WORK/sumdb.times"
  echo "$(download nosumdb "$r")" >>"$WORK/nosumdb.times"
done
python3 - "$WORK/sumdb.times" "$WORK/nosumdb.times" "$MODULES" <<'EOF'
import statistics, sys
with_db = [float(x) for x in open(sys.argv[1])]
without = [float(x) for x in open(sys.argv[2])]
a, b = statistics.median(with_db), statistics.median(without)
print(f"go mod download of {sys.argv[3]} private modules, {len(with_db)} alternating rounds each:")
print(f"  GOSUMDB=Attest  median {a:.2f} s  (rounds: {', '.join(f'{x:.2f}' for x in with_db)})")
print(f"  GONOSUMDB       median {b:.2f} s  (rounds: {', '.join(f'{x:.2f}' for x in without)})")
print(f"  checksum-database overhead: {100 * (a - b) / b:+.1f} % (goal: under 20 %)")
EOF
