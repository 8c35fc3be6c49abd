#!/usr/bin/env bash
# Prints one plain line "N passed, N failed, N skipped" from the .trx files in a results directory
# (dotnet test --logger trx --results-directory DIR). Exit 1 if any test failed or none ran.
#   bash scripts/test-summary.sh artifacts/test-results [label]
set -euo pipefail
DIR=${1:?usage: $0 RESULTS_DIR [LABEL]}
LABEL=${2:-}

shopt -s nullglob globstar
files=("$DIR"/**/*.trx)
passed=0 failed=0 skipped=0 total=0
for f in "${files[@]}"; do
    # <Counters total=".." executed=".." passed=".." failed=".." error=".." timeout=".." aborted=".." notExecuted=".." ...>
    counters=$(grep -o '<Counters [^>]*>' "$f" | head -n 1)
    get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
    total=$((total + $(get total)))
    passed=$((passed + $(get passed)))
    failed=$((failed + $(get failed) + $(get error) + $(get timeout) + $(get aborted)))
    skipped=$((skipped + $(get notExecuted)))
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

echo "${LABEL:+$LABEL: }$passed passed, $failed failed, $skipped skipped"
if [ ${#files[@]} -eq 0 ] || [ "$total" -eq 0 ]; then
    echo "no tests ran (no results in $DIR)" >&2
    exit 1
fi
[ "$failed" -eq 0 ]
