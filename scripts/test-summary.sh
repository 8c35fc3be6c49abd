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

echo "${LABEL:+$LABEL: }$passed passed, $failed failed, $skipped skipped"
if [ ${#files[@]} -eq 0 ] || [ "$total" -eq 0 ]; then
    echo "no tests ran (no results in $DIR)" >&2
    exit 1
fi
[ "$failed" -eq 0 ]
