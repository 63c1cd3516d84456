# Shared by the HTTP benchmarks under bench/ (sourced, not run): prerequisites, a scratch directory cleaned at exit,
# free loopback ports, the Release server started on one, the signing and token loads, and `hey` loaders of one
# connection each. The sourcing script sets ROOT (the repository) first.

# bench_setup TOOL... : fails with the install hint when a tool is missing; creates $WORK; stops $PIDS, runs the
# commands in $AT_EXIT (strings the sourcing script may add) and removes $WORK at exit.
bench_setup() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$(basename "$0"): $tool is missing (apt-get install $*)" >&2; exit 2; }
  done
  WORK="$(mktemp -d)"; PIDS=(); AT_EXIT=()
  trap bench_cleanup EXIT
}
bench_cleanup() {
  local p c
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true
  for c in "${AT_EXIT[@]}"; do eval "$c" || true; done
  rm -rf "$WORK"
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# bench_median : the median of the numbers on stdin, one per line.
bench_median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# bench_conformance_dir : the sigstore-conformance tools (the sigstore-js peer and the benchmark manifest of the
# conformance bundles): $SIGSTORE_CONFORMANCE_DIR, or the shared tools beside the repository (../shared), or two
# levels up from a worktree under wt/.
bench_conformance_dir() {
  local candidate
  [ -z "${SIGSTORE_CONFORMANCE_DIR:-}" ] || { echo "$SIGSTORE_CONFORMANCE_DIR"; return; }
  for candidate in "$ROOT/../shared" "$ROOT/../../shared"; do
    [ ! -d "$candidate/tools/sigstore-conformance" ] || { (cd "$candidate/tools/sigstore-conformance" && pwd); return; }
  done
  echo "sigstore-conformance tools not found; set SIGSTORE_CONFORMANCE_DIR" >&2; exit 2
}

# bench_start_server ARG... : builds and starts the repository's Release server in $WORK (bench_launch_server).
bench_start_server() {
  dotnet build -c Release "$ROOT/src/Attest.Server" -v quiet -nologo >/dev/null
  bench_launch_server "$ROOT" "$WORK" "$@"
}

# bench_launch_server TREE DIR ARG... : starts the Release server already built in the source tree TREE on a free port,
# working in DIR with TREE's policies (copied to DIR/policies) and its data directory DIR/data ($DATA); sets $URL and
# $SERVER_PID once /readyz answers. bench_stop_server stops it.
bench_launch_server() {
  local tree=$1 dir=$2; shift 2
  local port; port=$(free_port); URL="http://127.0.0.1:$port"; DATA="$dir/data"
  mkdir -p "$dir/policies"; cp "$tree"/policies/*.yaml "$dir/policies/"
  (cd "$dir" && exec dotnet "$tree/src/Attest.Server/bin/Release/net10.0/Attest.Server.dll" --urls "$URL" \
    --Logging:LogLevel:Default=Warning "$@" >"$dir/server.log" 2>&1) & SERVER_PID=$!; PIDS+=("$SERVER_PID")
  for _ in $(seq 300); do curl -sf "$URL/readyz" >/dev/null && break; sleep 0.1; done
  curl -sf "$URL/readyz" >/dev/null || { echo "$(basename "$0"): server did not start"; tail "$dir/server.log"; exit 1; }
}
bench_stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }

# bench_token ID SECRET [SCOPE] : an access token by client_credentials.
bench_token() { curl -sf -u "$1:$2" -d "grant_type=client_credentials${3:+&scope=$3}" "$URL/oauth/token" | jq -r .access_token; }
bench_admin_token() { bench_token "$(jq -r .client_id "$DATA/admin-credentials.json")" "$(jq -r .client_secret "$DATA/admin-credentials.json")"; }
# bench_client ADMIN_TOKEN NAME SCOPES_JSON : registers an OAuth2 client; prints its JSON (clientId, clientSecret).
bench_client() { curl -sf -H "Authorization: Bearer $1" -H 'Content-Type: application/json' -d "{\"name\":\"$2\",\"scopes\":$3}" "$URL/v1/clients"; }

# The signing load (bench/signing/run.sh): bench_signing_clients N registers N clients with scope sign, each with its
# own token, so per-client rate limits apply as in production; then `bench_run NAME N bench_signature_args` has loader
# i POST /v1/signatures (one artifact digest) with client i's token.
bench_signing_clients() {
  local admin c i; admin=$(bench_admin_token); SIGNING_TOKENS=()
  for i in $(seq "$1"); do
    c=$(bench_client "$admin" "bench-$i" '["sign"]')
    SIGNING_TOKENS+=("$(bench_token "$(jq -r .clientId <<<"$c")" "$(jq -r .clientSecret <<<"$c")")")
  done
}
BENCH_DIGEST="sha256:$(printf 'bench artifact' | sha256sum | cut -d' ' -f1)"
bench_signature_args() { printf '%s\n' -m POST -T application/json -H "Authorization: Bearer ${SIGNING_TOKENS[$(($1-1))]}" -d "{\"digest\":\"$BENCH_DIGEST\"}" "$URL/v1/signatures"; }

# The token load (bench/tokens/run.sh): bench_token_client registers one client (scopes sign and verify) that every
# loader shares, as a CI fleet sharing its credentials, and checks that the endpoint issues it a token; then
# `bench_run NAME N bench_token_args` has each loader POST /oauth/token (client_credentials, client_secret_basic,
# scope sign). Start the server with --Attest:Auth:TokenRequestsPerSecond=1000000: the per-address limit would
# otherwise answer most of the load with 429.
bench_token_client() {
  local c id secret; c=$(bench_client "$(bench_admin_token)" bench-ci '["sign","verify"]')
  id=$(jq -r .clientId <<<"$c"); secret=$(jq -r .clientSecret <<<"$c")
  [ -n "$(bench_token "$id" "$secret" sign)" ] || { echo "$(basename "$0"): the token endpoint issued no token" >&2; exit 1; }
  TOKEN_BASIC=$(printf '%s:%s' "$id" "$secret" | base64 -w0)
}
bench_token_args() { printf '%s\n' -m POST -T application/x-www-form-urlencoded -H "Authorization: Basic $TOKEN_BASIC" -d 'grant_type=client_credentials&scope=sign' "$URL/oauth/token"; }
bench_healthz_args() { echo "$URL/healthz"; }

# bench_run NAME COUNT HEY_ARGS_FUNCTION : COUNT `hey` loaders of one connection for $DURATION, loader i getting the
# arguments that HEY_ARGS_FUNCTION i prints (one per line, URL last); prints requests/s summed over loaders, p50/p99
# of loader 1, the non-2xx count and, when the server is this script's ($SERVER_PID), the server's CPU time per
# request (user + system, its background work included: on a shared machine a steadier measure of cost than the rate);
# leaves the rate in $WORK/NAME.rps, the non-2xx count in $WORK/NAME.bad and the CPU microseconds in $WORK/NAME.cpu.
bench_run() {
  local name=$1 count=$2 args=$3 i loaders=() ticks
  ticks=$(bench_server_ticks)
  for i in $(seq "$count"); do
    mapfile -t argv < <("$args" "$i")
    hey -z "$DURATION" -c 1 "${argv[@]}" >"$WORK/$name-$i.txt" & loaders+=($!)
  done
  wait "${loaders[@]}"
  local rps bad p50 p99 requests cpu=""
  rps=$(awk '/Requests\/sec/ {s += $2} END {printf "%.0f", s}' "$WORK/$name"-*.txt)
  bad=$(cat "$WORK/$name"-*.txt | awk '/\[[0-9]+\]/ { gsub(/[\[\]]/, "", $1); if ($1 !~ /^2/) n += $2 } END {print n + 0}')
  requests=$(cat "$WORK/$name"-*.txt | awk '/\[[0-9]+\]/ { n += $2 } END {print n + 0}')
  p50=$(awk '/ 50% in/ {print $3 * 1000}' "$WORK/$name-1.txt"); p99=$(awk '/ 99% in/ {print $3 * 1000}' "$WORK/$name-1.txt")
  [ -z "$ticks" ] || [ "$requests" = 0 ] || cpu=$(( ($(bench_server_ticks) - ticks) * 1000000 / $(getconf CLK_TCK) / requests ))
  printf '%-12s %6s req/s   p50 %6.1f ms   p99 %6.1f ms   non-2xx %s%s\n' "$name" "$rps" "$p50" "$p99" "$bad" "${cpu:+   server CPU $cpu us/request}"
  echo "$rps" >"$WORK/$name.rps"; echo "$bad" >"$WORK/$name.bad"; echo "$cpu" >"$WORK/$name.cpu"
}
# bench_server_ticks : the CPU time (user + system, in clock ticks) the server $SERVER_PID has used so far; empty without one.
bench_server_ticks() { [ -z "${SERVER_PID:-}" ] || awk '{ print $14 + $15 }' "/proc/$SERVER_PID/stat" 2>/dev/null || true; }
