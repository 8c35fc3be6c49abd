#!/usr/bin/env bash
# README "Run it": a local aot-streaming on http://127.0.0.1:${PORT:-4000} with demo accounts and tokens, fed by a
# publisher that sends Mastodon-shaped events to Redis every 2 s. Ctrl-C stops the server and the publisher
# (Redis and PostgreSQL keep running for next time: `bash scripts/services.sh stop`).
#
# Uses out/linux-x64/aot-streaming when it exists (dotnet publish src/AotStreaming.Host -c Release -r linux-x64
# -o out/linux-x64), otherwise `dotnet run`. Logs go to .demo/server.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PORT=${PORT:-4000}
DB=aot_streaming_demo
REDIS_PORT=${AOT_REDIS_PORT:-6390}
PG_PORT=${AOT_PG_PORT:-5440}
LOG=.demo/server.log
mkdir -p .demo

eval "$(bash scripts/services.sh)"

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "demo: something already listens on 127.0.0.1:$PORT; run with another port: PORT=4100 bash scripts/demo.sh" >&2
    exit 1
fi

# --- database: the tables the server reads, three local accounts, users and tokens ---------------------------------
DB="$DB" PG_PORT="$PG_PORT" bash scripts/demo-database.sh

# --- server --------------------------------------------------------------------------------------------------------
if [ -x out/linux-x64/aot-streaming ]; then
    server=(out/linux-x64/aot-streaming)
else
    echo "demo: no out/linux-x64/aot-streaming; starting with dotnet run (the first build takes a minute)"
    server=(dotnet run --project src/AotStreaming.Host -c Release --)
fi

SERVER_PID=

cleanup() {
    trap - EXIT INT TERM
    if [ -n "$SERVER_PID" ]; then
        # The server runs in its own process group (setsid), so this also reaches the child of `dotnet run`.
        kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
    fi
    echo
    echo "demo: stopped (server log: $LOG; Redis and PostgreSQL still run: bash scripts/services.sh stop)"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Mastodon's variables; unset the ones that would win over DB_*/REDIS_* if the caller's shell has them.
setsid env -u DATABASE_URL -u REDIS_URL -u REDIS_SENTINELS -u SOCKET -u REDIS_NAMESPACE \
    NODE_ENV=production BIND=127.0.0.1 PORT="$PORT" \
    DB_HOST=127.0.0.1 DB_PORT="$PG_PORT" DB_USER=postgres DB_NAME="$DB" \
    REDIS_HOST=127.0.0.1 REDIS_PORT="$REDIS_PORT" \
    "${server[@]}" >"$LOG" 2>&1 </dev/null &
SERVER_PID=$!

echo "demo: waiting for the server (log $LOG)"
for _ in $(seq 600); do
    grep -q 'Streaming API now listening on' "$LOG" 2>/dev/null && break
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "demo: the server exited:" >&2
        tail -n 30 "$LOG" >&2
        exit 1
    fi
    sleep 0.2
done
grep -q 'Streaming API now listening on' "$LOG" || { echo "demo: server not listening after 120 s" >&2; tail -n 30 "$LOG" >&2; exit 1; }

BASE=http://127.0.0.1:$PORT
WS_URL="ws://127.0.0.1:$PORT/api/v1/streaming?access_token=demo-token-alice"
# Subscribes to the public timeline and Alice's home timeline and notifications, prints every event frame.
NODE_SUBSCRIBE="ws.send(JSON.stringify({type: 'subscribe', stream: 'public'})); ws.send(JSON.stringify({type: 'subscribe', stream: 'user'}));"
NODE_WS_SCRIPT="const WebSocket = require('ws'); const ws = new WebSocket('$WS_URL'); ws.on('open', () => { $NODE_SUBSCRIBE }); ws.on('message', (m) => console.log(m.toString()));"
NODE_BUILTIN_SCRIPT="const ws = new WebSocket('$WS_URL'); ws.onopen = () => { $NODE_SUBSCRIBE }; ws.onmessage = (m) => console.log(m.data);"
cat <<HELP

aot-streaming is listening on $BASE. Watch it from another terminal:

  Server-Sent Events, public timeline:
    curl -N -H 'Authorization: Bearer demo-token-alice' $BASE/api/v1/streaming/public
  Alice's home timeline and notifications:
    curl -N -H 'Authorization: Bearer demo-token-alice' $BASE/api/v1/streaming/user
  WebSocket with wscat (Node.js 18+; on Debian 12: apt-get install nodejs npm):
    npx --yes wscat -c 'ws://127.0.0.1:$PORT/api/v1/streaming?stream=public&access_token=demo-token-alice'
  WebSocket from Node.js with the ws package (Node 18+, Debian 12's):
    npm install --silent --prefix /tmp/aot-ws ws && NODE_PATH=/tmp/aot-ws/node_modules node -e "$NODE_WS_SCRIPT"
  WebSocket from Node.js's built-in client (Node 22+; Node 20.10+ needs --experimental-websocket, Node 18 has none):
    node --experimental-websocket -e "$NODE_BUILTIN_SCRIPT"
  Health and metrics:
    curl $BASE/api/v1/streaming/health; curl -s $BASE/metrics | head

Publishing an event every 2 s (Ctrl-C stops everything):
HELP

# --- publisher: the envelope Rails writes (reference §7): {"event", "payload": object or string id, "queued_at"} ----
account_json() { # id username display_name
    printf '{"id":"%s","username":"%s","acct":"%s","display_name":"%s","locked":false,"bot":false,"url":"http://127.0.0.1/@%s"}' "$1" "$2" "$2" "$3" "$2"
}
status_json() { # id account_json visibility text
    printf '{"id":"%s","created_at":"%s","in_reply_to_id":null,"in_reply_to_account_id":null,"sensitive":false,"spoiler_text":"","visibility":"%s","language":"en","uri":"http://127.0.0.1/statuses/%s","url":"http://127.0.0.1/@x/%s","replies_count":0,"reblogs_count":0,"favourites_count":0,"content":"<p>%s</p>","reblog":null,"account":%s,"media_attachments":[],"mentions":[],"tags":[],"emojis":[],"card":null,"poll":null}' \
        "$1" "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" "$3" "$1" "$1" "$4" "$2"
}
publish() { # channel json
    local receivers
    receivers=$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" PUBLISH "$1" "$2")
    printf '  %-32s %-13s (%s subscriber%s)\n' "$1" "$3" "$receivers" "$([ "$receivers" = 1 ] || echo s)"
}

BOB=$(account_json 2 bob Bob)
CAROL=$(account_json 3 carol Carol)
n=0
last_public=
while :; do
    n=$((n + 1))
    now_ms=$(date +%s%3N)
    id=$((109000000000000000 + $(date +%s) * 1000 + n % 1000))

    # A public local status goes to timeline:public and timeline:public:local (FanOutOnWriteService).
    status=$(status_json "$id" "$BOB" public "Hello from the demo, post $n")
    event="{\"event\":\"update\",\"payload\":$status,\"queued_at\":$now_ms}"
    publish timeline:public "$event" update
    publish timeline:public:local "$event" update

    case $((n % 3)) in
        1) # Alice follows Carol: Carol's followers-only status lands on Alice's home (PushUpdateWorker).
            status=$(status_json "$((id + 1))" "$CAROL" private "Only for my followers ($n)")
            publish timeline:1 "{\"event\":\"update\",\"payload\":$status,\"queued_at\":$now_ms}" update ;;
        2) # Bob favourites one of Alice's statuses (NotifyService).
            note=$(printf '{"id":"%s","type":"favourite","created_at":"%s","group_key":"ungrouped-%s","account":%s,"status":%s}' \
                "$n" "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" "$n" "$BOB" "$(status_json 108000000000000001 "$(account_json 1 alice Alice)" public 'A status by Alice')")
            publish timeline:1:notifications "{\"event\":\"notification\",\"payload\":$note}" notification ;;
        0) # Bob deletes his previous public status: the payload is the id as a JSON string (RemoveStatusService).
            [ -n "$last_public" ] && publish timeline:public "{\"event\":\"delete\",\"payload\":\"$last_public\"}" delete ;;
    esac
    last_public=$id
    sleep 2
done
