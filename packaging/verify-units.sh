#!/usr/bin/env bash
# Static checks of systemd/*.service, for CI (no running systemd needed):
#  1. systemd-analyze verify on copies whose ExecStart/ExecStartPre point at the built binary (verify fails on a
#     missing binary). It exits 0 on parse errors ("…, ignoring"), so any stderr output is a failure too.
#  2. systemd-analyze security --offline=true: exposure must stay at or below 2.0.
#   packaging/verify-units.sh [BINARY]     (default out/linux-x64/aot-streaming)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BINARY=$(realpath "${1:-out/linux-x64/aot-streaming}")
MAX_EXPOSURE=2.0
[ -x "$BINARY" ] || { echo "$0: $BINARY missing; dotnet publish src/AotStreaming.Host -c Release -r linux-x64 -o out/linux-x64" >&2; exit 1; }
command -v systemd-analyze >/dev/null || apt-get install -y --no-install-recommends systemd >/dev/null

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0

for unit in systemd/*.service systemd/*.socket; do
    sed "s#/usr/bin/aot-streaming#$BINARY#g" "$unit" > "$WORK/$(basename "$unit")"
done

# A template is verified through an instance; PartOf= etc. resolve against the copies in the same directory.
for unit in aot-streaming.service aot-streaming@4001.service aot-streaming.socket aot-streaming@4001.socket; do
    if stderr=$(systemd-analyze verify "$WORK/$unit" 2>&1 >/dev/null) && [ -z "$stderr" ]; then
        echo "ok:   systemd-analyze verify $unit"
    else
        echo "FAIL: systemd-analyze verify $unit:"$'\n'"$stderr" >&2
        failures=$((failures + 1))
    fi
done

threshold=$(awk -v m="$MAX_EXPOSURE" 'BEGIN { print int(m * 10) }')
for unit in systemd/*.service; do
    report=$(systemd-analyze security --offline=true --threshold="$threshold" "$unit" 2>&1) && rc=0 || rc=$?
    score=$(grep -o 'Overall exposure level.*' <<<"$report" || echo "no score: $report")
    if [ "$rc" -eq 0 ]; then
        echo "ok:   $(basename "$unit"): $score (max $MAX_EXPOSURE)"
    else
        echo "FAIL: $(basename "$unit"): $score (max $MAX_EXPOSURE)" >&2
        failures=$((failures + 1))
    fi
done

[ "$failures" -eq 0 ] || { echo "$failures unit check(s) failed" >&2; exit 1; }
echo "all unit checks passed"
