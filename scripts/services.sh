#!/usr/bin/env bash
# Starts the private Redis and PostgreSQL that the tests and the demo use, installing them (and nginx, which the
# tests start themselves) first if needed.
# Safe to run again: anything already answering is left alone.
#
#   eval "$(bash scripts/services.sh)"     # status goes to stderr; stdout is only the export lines
#   bash scripts/services.sh stop          # stops both (the data directory is kept)
#
# Environment: AOT_REDIS_PORT (6390), AOT_PG_PORT (5440), AOT_PG_DIR (/tmp/aot-streaming-pg).
# Both listen on 127.0.0.1 only; PostgreSQL uses trust auth (user postgres), so never point them at real data.
set -euo pipefail

REDIS_PORT=${AOT_REDIS_PORT:-6390}
PG_PORT=${AOT_PG_PORT:-5440}
PG_DIR=${AOT_PG_DIR:-/tmp/aot-streaming-pg}
PG_LOG=${PG_DIR}.log
REDIS_LOG=/tmp/aot-streaming-redis-${REDIS_PORT}.log

say() { echo "services: $*" >&2; }
die() { echo "services: $*" >&2; exit 1; }

# Debian puts pg_ctl/initdb/pg_isready in /usr/lib/postgresql/<major>/bin, not on PATH; take the newest.
pg_bin() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$dir" ] && command -v pg_ctl >/dev/null 2>&1; then
        dir=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
    fi
    [ -n "$dir" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_isready" ] && echo "$dir"
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else die "need root to run: $*"
    fi
}

# --- install -------------------------------------------------------------------------------------------------------
missing=()
command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 || missing+=(redis-server)
[ -n "$(pg_bin)" ] || missing+=(postgresql)
# The tests run Mastodon's nginx config in front of the server (tests/AotStreaming.IntegrationTests/Nginx/).
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null 2>&1 || missing+=(nginx)
# The TLS Redis tests make their CA and server certificate with the openssl command line.
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} (apt-get)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
PG_BIN=$(pg_bin) || die "PostgreSQL binaries not found after install"

if [ "${1:-}" = stop ]; then
    if [ "$(id -u)" -eq 0 ]; then as_pg_stop() { (cd / && runuser -u postgres -- "$@"); }; else as_pg_stop() { "$@"; }; fi
    if [ -s "$PG_DIR/postmaster.pid" ]; then
        as_pg_stop "$PG_BIN/pg_ctl" -D "$PG_DIR" -m fast -w stop >&2 || true
    fi
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    say "stopped Redis on $REDIS_PORT and PostgreSQL in $PG_DIR"
    exit 0
fi

# --- Redis ---------------------------------------------------------------------------------------------------------
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }
if redis_up; then
    say "Redis already answering on 127.0.0.1:$REDIS_PORT"
else
    say "starting Redis on 127.0.0.1:$REDIS_PORT (log $REDIS_LOG)"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize yes --logfile "$REDIS_LOG" --dir /tmp >&2
    for _ in $(seq 50); do redis_up && break; sleep 0.1; done
    redis_up || die "Redis did not answer on 127.0.0.1:$REDIS_PORT (see $REDIS_LOG; is the port taken?)"
fi

# --- PostgreSQL ----------------------------------------------------------------------------------------------------
# PostgreSQL refuses to run as root: as root, run its tools as the postgres user the package creates.
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "user postgres does not exist (apt-get install postgresql creates it)"
    as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
    as_pg() { "$@"; }
fi

pg_up() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" >/dev/null 2>&1; }
if pg_up; then
    say "PostgreSQL already answering on 127.0.0.1:$PG_PORT"
else
    if [ ! -s "$PG_DIR/PG_VERSION" ]; then
        say "creating PostgreSQL cluster in $PG_DIR"
        rm -rf "$PG_DIR"
        mkdir -p "$PG_DIR"
        [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$PG_DIR"
        chmod 700 "$PG_DIR"
        as_pg "$PG_BIN/initdb" -D "$PG_DIR" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >&2 \
            || as_pg "$PG_BIN/initdb" -D "$PG_DIR" -U postgres --auth=trust --encoding=UTF8 --locale=C >&2
    fi
    [ "$(id -u)" -eq 0 ] && { touch "$PG_LOG"; chown postgres:postgres "$PG_LOG"; }
    say "starting PostgreSQL on 127.0.0.1:$PG_PORT (log $PG_LOG)"
    # Throwaway test data: durability settings off for speed. The socket lives in the data dir, so no
    # /var/run/postgresql is needed and the system cluster is never touched.
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR" -l "$PG_LOG" -w -t 60 start -o \
        "-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_DIR -c max_connections=400 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >&2 \
        || die "PostgreSQL did not start (see $PG_LOG)"
    pg_up || die "PostgreSQL not answering on 127.0.0.1:$PG_PORT (see $PG_LOG)"
fi

# --- what the tests read -------------------------------------------------------------------------------------------
echo "export AOTSTREAMING_REDIS='127.0.0.1:$REDIS_PORT'"
echo "export AOTSTREAMING_PG='Host=127.0.0.1;Port=$PG_PORT;Username=postgres'"
