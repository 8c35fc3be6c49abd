#!/usr/bin/env bash
# Three 20 MB statuses published back to back (issue 10 item 6), repeated:  bash bench/large-burst.sh [trials]
# Each trial starts the native server on the demo database (scripts/services.sh's Redis and PostgreSQL), connects a
# WebSocket and an SSE client (Node.js, bench/reference/node/large-burst.js) and a bare reference subscriber that
# only reads and discards, then PUBLISHes the three on one connection. Redis counts a pub/sub message against its
# 32 MB output-buffer limit until its last byte is written, so each subscriber must take message k whole before
# PUBLISH k+1 runs; the reference shows how often any reader at all manages that on this machine.
# Prints per trial and a summary: how often Redis closed our subscriber, the reference, and ours while the
# reference was kept; and how long Redis itself spent in each 20 MB PUBLISH (SLOWLOG).
# env: TRIALS (30), SIZE_MB (20), SERVER (out/linux-x64/aot-streaming), SERVER_ENV ("K=v ..." for the server)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
trials=${1:-${TRIALS:-30}}
server=${SERVER:-out/linux-x64/aot-streaming}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

eval "$(bash scripts/services.sh)"
redis_port=${AOT_REDIS_PORT:-6390}
pg_port=${AOT_PG_PORT:-5440}
DB=aot_streaming_demo PG_PORT=$pg_port bash scripts/demo-database.sh >/dev/null
if [[ $server == out/linux-x64/aot-streaming && ! -x $server ]]; then
  echo "publishing the server to out/linux-x64 ..."
  dotnet publish src/AotStreaming.Host -c Release -r linux-x64 -o out/linux-x64 --nologo -v quiet
fi
node_dir=bench/reference/node
bash "$node_dir/install.sh"

port=4170
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
log=$(mktemp /tmp/aot-large-burst.XXXXXX.log)
server_pid=""
slower_than="" max_len=""
cleanup() {
  trap - EXIT INT TERM
  [[ -n $server_pid ]] && kill -TERM "$server_pid" 2>/dev/null || true
  [[ -n $slower_than ]] && redis-cli -p "$redis_port" CONFIG SET slowlog-log-slower-than "$slower_than" >/dev/null || true
  [[ -n $max_len ]] && redis-cli -p "$redis_port" CONFIG SET slowlog-max-len "$max_len" >/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

redis() { redis-cli -p "$redis_port" "$@"; }
# The burst's own PUBLISH commands are the only ones above 10 ms here; the reset keeps earlier ones out. The
# settings are put back on exit.
slower_than=$(redis CONFIG GET slowlog-log-slower-than | tail -n 1)
max_len=$(redis CONFIG GET slowlog-max-len | tail -n 1)
redis CONFIG SET slowlog-log-slower-than 10000 >/dev/null
redis CONFIG SET slowlog-max-len 4096 >/dev/null
redis SLOWLOG RESET >/dev/null

delivered=0 ours=0 reference=0 ours_only=0
for i in $(seq 1 "$trials"); do
  # Mastodon's variables only; a fresh server per trial, so its subscriber connection is as old as a test's.
  # shellcheck disable=SC2086
  setsid env -u DATABASE_URL -u REDIS_URL -u REDIS_SENTINELS -u REDIS_NAMESPACE NODE_ENV=production BIND=127.0.0.1 PORT=$port \
    DB_HOST=127.0.0.1 DB_PORT=$pg_port DB_USER=postgres DB_NAME=aot_streaming_demo REDIS_HOST=127.0.0.1 REDIS_PORT=$redis_port \
    ${SERVER_ENV:-} "$server" >"$log" 2>&1 </dev/null &
  server_pid=$!
  for _ in $(seq 200); do grep -q 'now listening' "$log" && break; sleep 0.05; done
  result=$(cd "$node_dir" && PORT=$port REDIS_PORT=$redis_port SIZE_MB=${SIZE_MB:-20} node large-burst.js)
  lost=$(grep -c 'Redis subscriber connection lost' "$log" || true)
  kill -TERM "$server_pid"; wait "$server_pid" 2>/dev/null || true
  server_pid=""
  ref_closed=$([[ $result == *'"referenceClosed":true'* ]] && echo 1 || echo 0)
  [[ $result == *'"result":"delivered"'* ]] && delivered=$((delivered + 1))
  [[ $lost -gt 0 ]] && ours=$((ours + 1))
  reference=$((reference + ref_closed))
  [[ $lost -gt 0 && $ref_closed == 0 ]] && ours_only=$((ours_only + 1))
  printf 'trial %2d: our subscriber %s, reference %s; %s\n' "$i" "$([[ $lost -gt 0 ]] && echo CLOSED || echo kept)" \
    "$([[ $ref_closed == 1 ]] && echo closed || echo kept)" "$result"
done

# SLOWLOG entries: id, timestamp, microseconds, [command, args...]; the big PUBLISHes only.
publish_ms=$(redis SLOWLOG GET 1000 | awk 'prev_is_ts { us = $0; prev_is_ts = 0; next } /^[0-9]+$/ && length($0) == 10 { prev_is_ts = 1; next } $0 == "PUBLISH" && us > 0 { print us / 1000; us = 0 }' | sort -n)
n=$(echo "$publish_ms" | grep -c . || true)
echo
echo "=== large burst: $trials trials of 3 x ${SIZE_MB:-20} MB back to back"
echo "both clients got all three:                  $delivered of $trials"
echo "Redis closed our subscriber:                 $ours of $trials"
echo "Redis closed the bare reference subscriber:  $reference of $trials"
echo "ours closed while the reference was kept:    $ours_only of $((trials - reference))"
if [[ $n -gt 0 ]]; then
  echo "Redis time per 20 MB PUBLISH (SLOWLOG, $n): median $(echo "$publish_ms" | awk -v n="$n" 'NR == int((n + 1) / 2)') ms, max $(echo "$publish_ms" | tail -n 1) ms"
fi
