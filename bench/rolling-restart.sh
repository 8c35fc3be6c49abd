#!/usr/bin/env bash
# The README's rolling-restart figures: runs RollingRestartTests (two instances behind the checked-in nginx config,
# 200 clients, 10 statuses/s, each instance restarted in turn) and prints what it measured.
#   bash bench/rolling-restart.sh            # against out/linux-x64/aot-streaming when it exists, else the JIT build
# Uses scripts/services.sh (AOT_REDIS_PORT, AOT_PG_PORT, AOT_PG_DIR as there).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

eval "$(bash scripts/services.sh)"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ -z "${AOTSTREAMING_SERVER_BINARY:-}" ] && [ -x out/linux-x64/aot-streaming ]; then
    export AOTSTREAMING_SERVER_BINARY=$PWD/out/linux-x64/aot-streaming
fi
echo "rolling-restart: server ${AOTSTREAMING_SERVER_BINARY:-JIT build (dotnet aot-streaming.dll)}" >&2

export AOTSTREAMING_REPORT_DIR=$PWD/artifacts/rolling-restart
rm -f "$AOTSTREAMING_REPORT_DIR/rolling-restart.txt"
dotnet build tests/AotStreaming.IntegrationTests -nologo -v:quiet -warnaserror >&2
dotnet test tests/AotStreaming.IntegrationTests --no-build --nologo --filter 'FullyQualifiedName~RollingRestartTests' >&2
cat "$AOTSTREAMING_REPORT_DIR/rolling-restart.txt"
