#!/usr/bin/env bash
# THE test command (README "Test it"; .ci/run runs it too):
# private Redis + PostgreSQL, build with warnings as errors, every test project, one summary line
# ("N passed, N failed, N skipped in 12m34s"; exit 0 only when tests ran and none failed).
#   bash scripts/test.sh [extra dotnet test arguments, e.g. --filter Name~Outbox]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The integration fixture reads AOTSTREAMING_REDIS and AOTSTREAMING_PG.
eval "$(bash scripts/services.sh)"
# Connection tests open thousands of sockets; the soft limit is often 1024.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 2>/dev/null || true

started=$SECONDS
dotnet build aot-streaming.sln -warnaserror -nologo -v:quiet
echo "build: $((SECONDS - started)) s"

RESULTS=artifacts/test-results
rm -rf "$RESULTS"
status=0
dotnet test aot-streaming.sln --no-build --nologo \
    --logger "console;verbosity=normal" --logger trx --results-directory "$RESULTS" "$@" || status=$?

bash scripts/test-summary.sh "$RESULTS" || status=1
exit "$status"
