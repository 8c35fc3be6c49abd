#!/usr/bin/env bash
# Prints one plain line "N passed, N failed, N skipped in 12m34s" from the .trx files in a results directory
# (dotnet test --logger trx --results-directory DIR); the time runs from the first test run's start to the last
# one's finish. Exit 0 when tests ran and none failed (skipped ones do not fail a run), else 1.
#   bash scripts/test-summary.sh artifacts/test-results [label]
set -euo pipefail
DIR=${1:?usage: $0 RESULTS_DIR [LABEL]}
LABEL=${2:-}

shopt -s nullglob globstar
files=("$DIR"/**/*.trx)

# One counter attribute of a .trx's <Counters .../> element; 0 when absent.
counter() { # file name
    local element
    element=$(grep -o '<Counters [^>]*>' "$1" || true)
    [[ $element =~ \ $2=\"([0-9]+)\" ]] && echo "${BASH_REMATCH[1]}" || echo 0
}

passed=0 failed=0 skipped=0 total=0 first_start="" last_finish=""
for f in "${files[@]}"; do
    total=$((total + $(counter "$f" total)))
    passed=$((passed + $(counter "$f" passed)))
    failed=$((failed + $(counter "$f" failed) + $(counter "$f" error) + $(counter "$f" timeout) + $(counter "$f" aborted)))
    # xunit's skipped tests are results with outcome NotExecuted; the Counters' notExecuted stays 0 for them.
    skipped=$((skipped + $( { grep -o '<UnitTestResult [^>]*outcome="NotExecuted"' "$f" || true; } | wc -l)))
    # <Times creation=".." queuing=".." start="2026-12-05T05:39:48.79+00:00" finish="..." />
    times=$(grep -o '<Times [^>]*>' "$f" || true)
    start="" finish=""
    [[ $times =~ \ start=\"([^\"]+)\" ]] && start=$(date -d "${BASH_REMATCH[1]}" +%s 2>/dev/null || true)
    [[ $times =~ \ finish=\"([^\"]+)\" ]] && finish=$(date -d "${BASH_REMATCH[1]}" +%s 2>/dev/null || true)
    if [ -n "$start" ] && { [ -z "$first_start" ] || [ "$start" -lt "$first_start" ]; }; then first_start=$start; fi
    if [ -n "$finish" ] && { [ -z "$last_finish" ] || [ "$finish" -gt "$last_finish" ]; }; then last_finish=$finish; fi
done

# CI keeps only the tail of its output, so the names and messages of failed tests are printed here, last.
for f in "${files[@]}"; do
    awk '
        /<UnitTestResult / && /outcome="(Failed|Error|Timeout|Aborted)"/ {
            match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11); failing = 1; next
        }
        failing && /<Message>/ { inmsg = 1; lines = 0; sub(/.*<Message>/, ""); printf "FAILED %s\n", name }
        inmsg {
            done = sub(/<\/Message>.*/, "")
            if (lines++ < 12) print "    " $0
            if (done) { inmsg = 0; failing = 0 }
        }
    ' "$f" | sed -e 's/&quot;/"/g' -e "s/&apos;/'/g" -e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'
done

elapsed=""
if [ -n "$first_start" ] && [ -n "$last_finish" ]; then
    seconds=$((last_finish - first_start))
    elapsed=$(printf ' in %dm%02ds' $((seconds / 60)) $((seconds % 60)))
fi
echo "${LABEL:+$LABEL: }$passed passed, $failed failed, $skipped skipped$elapsed"

if [ ${#files[@]} -eq 0 ] || [ "$total" -eq 0 ]; then
    echo "no tests ran (no results in $DIR)" >&2
    exit 1
fi
if [ "$failed" -ne 0 ]; then
    exit 1
fi
exit 0
