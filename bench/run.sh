#!/usr/bin/env bash
# One command for the load benchmark:  bash bench/run.sh [default|knee|soak|filtered|shared|public|compare] [tool options]
# Extra arguments go to tests/AotStreaming.Benchmarks unchanged (bash bench/run.sh --clients 1000 --stall-fraction 0.1).
# Without --pg it starts a private, throw-away PostgreSQL on a free loopback port; without --server it publishes
# the native binary to out/linux-x64 if it is missing. Everything it starts is stopped on exit.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# 5,000 sockets on each side of loopback: the tool and the server each need more than the usual 1024 fds.
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

args=("$@")
has_arg() {
  local a
  for a in "${args[@]}"; do [[ $a == "$1" ]] && return 0; done
  return 1
}

# PostgreSQL refuses to run as root (CI runs as root): run its tools as the postgres user then.
as_pg() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local p
  for p in $(seq "$1" $(($1 + 500))); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

pg_dir="" pg_bin="" tool_pid=""
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n $tool_pid ]] && kill -0 "$tool_pid" 2>/dev/null; then
    # The tool runs in its own process group (setsid): this reaches its server and redis-server too.
    kill -TERM -- "-$tool_pid" 2>/dev/null || true
    sleep 2
    kill -KILL -- "-$tool_pid" 2>/dev/null || true
  fi
  if [[ -n $pg_dir ]]; then
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! has_arg --pg; then
  pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [[ -x $pg_bin/initdb ]] || { echo "PostgreSQL server binaries not found (apt-get install postgresql), or pass --pg CONNSTRING" >&2; exit 1; }
  pg_dir="$(mktemp -d /tmp/aot-bench-pg.XXXXXX)"
  chmod 755 "$pg_dir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$pg_dir"
  pg_port="$(free_port $((55000 + RANDOM % 2000)))"
  as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
  # Durability off: this database is rebuilt for every run and only the streaming server's reads matter.
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/postgresql.log" -w -t 30 \
    -o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$pg_dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >/dev/null || { tail -n 20 "$pg_dir/postgresql.log" >&2; exit 1; }
  echo "private PostgreSQL on 127.0.0.1:$pg_port ($pg_dir)"
  args+=(--pg "Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres")
fi

if ! has_arg --server && [[ ! -x out/linux-x64/aot-streaming ]]; then
  echo "publishing the server to out/linux-x64 ..."
  dotnet publish src/AotStreaming.Host -c Release -r linux-x64 -o out/linux-x64 --nologo -v quiet
fi

# The in-run references (bench/reference) for shared/compare, and the Node load tool: the Node one's packages
# from the committed lock file, the raw C# broadcaster published natively when missing or older than its sources.
needs_node=0 needs_raw=0
if has_arg shared || has_arg compare; then
  needs_node=1 needs_raw=1
  for i in "${!args[@]}"; do
    if [[ ${args[$i]} == --references ]]; then
      needs_node=0 needs_raw=0
      [[ ${args[$((i + 1))]:-} == *node* ]] && needs_node=1
      [[ ${args[$((i + 1))]:-} == *raw* ]] && needs_raw=1
    fi
  done
fi
for i in "${!args[@]}"; do
  [[ ${args[$i]} == --load-tool && ${args[$((i + 1))]:-} == node ]] && needs_node=1
done
if [[ $needs_node == 1 ]]; then
  bash bench/reference/node/install.sh
fi
raw=out/reference/RawBroadcaster/raw-broadcaster
if [[ $needs_raw == 1 ]] && { [[ ! -x $raw ]] || [[ -n $(find bench/reference/RawBroadcaster -maxdepth 1 -newer "$raw" \( -name '*.cs' -o -name '*.csproj' \) -print -quit) ]]; }; then
  echo "publishing the raw C# reference to out/reference/RawBroadcaster ..."
  dotnet publish bench/reference/RawBroadcaster -c Release -r linux-x64 -o out/reference/RawBroadcaster --nologo -v quiet
fi

build_log="$(mktemp)"
if ! dotnet build tests/AotStreaming.Benchmarks -c Release --nologo >"$build_log" 2>&1; then
  cat "$build_log" >&2; rm -f "$build_log"; exit 1
fi
rm -f "$build_log"
setsid dotnet tests/AotStreaming.Benchmarks/bin/Release/net10.0/AotStreaming.Benchmarks.dll "${args[@]}" &
tool_pid=$!
status=0
wait "$tool_pid" || status=$?
tool_pid=""
exit "$status"
