# Shared by the HTTP benchmarks under bench/ (sourced, not run): prerequisites, a scratch directory cleaned at exit,
# free loopback ports, the Release server started on one, and `hey` loaders of one connection each.
# The sourcing script sets ROOT (the repository) first.

# bench_setup TOOL... : fails with the install hint when a tool is missing; creates $WORK; stops $PIDS and removes
# $WORK at exit.
bench_setup() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "$(basename "$0"): $tool is missing (apt-get install $*)" >&2; exit 2; }
  done
  WORK="$(mktemp -d)"; PIDS=()
  trap bench_cleanup EXIT
}
bench_cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# bench_start_server ARG... : builds and starts the Release server on a free port with the repository's policies, in
# $WORK (its data directory is $WORK/data); sets $URL once /readyz answers.
bench_start_server() {
  dotnet build -c Release "$ROOT/src/Attest.Server" -v quiet -nologo >/dev/null
  local port; port=$(free_port); URL="http://127.0.0.1:$port"
  mkdir -p "$WORK/policies"; cp "$ROOT"/policies/*.yaml "$WORK/policies/"
  (cd "$WORK" && exec dotnet "$ROOT/src/Attest.Server/bin/Release/net10.0/Attest.Server.dll" --urls "$URL" \
    --Logging:LogLevel:Default=Warning "$@" >"$WORK/server.log" 2>&1) & PIDS+=($!)
  for _ in $(seq 300); do curl -sf "$URL/readyz" >/dev/null && break; sleep 0.1; done
  curl -sf "$URL/readyz" >/dev/null || { echo "$(basename "$0"): server did not start"; tail "$WORK/server.log"; exit 1; }
}

# bench_token ID SECRET [SCOPE] : an access token by client_credentials.
bench_token() { curl -sf -u "$1:$2" -d "grant_type=client_credentials${3:+&scope=$3}" "$URL/oauth/token" | jq -r .access_token; }

# bench_run NAME COUNT HEY_ARGS_FUNCTION : COUNT `hey` loaders of one connection for $DURATION, loader i getting the
# arguments that HEY_ARGS_FUNCTION i prints (one per line, URL last); prints requests/s summed over loaders, p50/p99
# of loader 1 and the non-2xx count, and leaves the rate in $WORK/NAME.rps.
bench_run() {
  local name=$1 count=$2 args=$3 i loaders=()
  for i in $(seq "$count"); do
    mapfile -t argv < <("$args" "$i")
    hey -z "$DURATION" -c 1 "${argv[@]}" >"$WORK/$name-$i.txt" & loaders+=($!)
  done
  wait "${loaders[@]}"
  local rps bad p50 p99
  rps=$(awk '/Requests\/sec/ {s += $2} END {printf "%.0f", s}' "$WORK/$name"-*.txt)
  bad=$(cat "$WORK/$name"-*.txt | awk '/\[[0-9]+\]/ { gsub(/[\[\]]/, "", $1); if ($1 !~ /^2/) n += $2 } END {print n + 0}')
  p50=$(awk '/ 50% in/ {print $3 * 1000}' "$WORK/$name-1.txt"); p99=$(awk '/ 99% in/ {print $3 * 1000}' "$WORK/$name-1.txt")
  printf '%-12s %6s req/s   p50 %6.1f ms   p99 %6.1f ms   non-2xx %s\n' "$name" "$rps" "$p50" "$p99" "$bad"
  echo "$rps" >"$WORK/$name.rps"
}
