#!/usr/bin/env bash
# Every figure of the closing note in one go (about 30 minutes on 2 cores): 1,000 / 5,000 / 10,000 clients with
# 0% and 10% stalled, the knee at 5,000, the filtered scenario, and a 10-minute soak. Results go to stdout and
# artifacts/bench/*.log. Stalled-client runs use 2 KB of status text (a realistic status size) and a 5 s write
# timeout, and so do their 0% baselines, so a stalled client fills its socket and is dropped within the run.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
mkdir -p artifacts/bench
run() { # name args...
    local name=$1
    shift
    echo "=== $name: bench/run.sh $*"
    bash bench/run.sh "$@" 2>&1 | tee "artifacts/bench/$name.log" | grep -vE '^\s+\[' || true
}
stall=(--pad 2000 --server-env Streaming__Delivery__WriteTimeoutSeconds=5)
run c1000-plain --clients 1000 --sse 20
run c1000-s0 --clients 1000 --sse 20 "${stall[@]}"
run c1000-s10 --clients 1000 --sse 20 --stall-fraction 0.1 "${stall[@]}"
run c5000-plain --clients 5000 --sse 100
run c5000-s0 --clients 5000 --sse 100 "${stall[@]}"
run c5000-s10 --clients 5000 --sse 100 --stall-fraction 0.1 "${stall[@]}"
run c10000-plain --clients 10000 --sse 200
run c10000-s10 --clients 10000 --sse 200 --stall-fraction 0.1 "${stall[@]}"
run knee-5000 knee --clients 5000 --sse 100
run filtered-1000 filtered --clients 1000 --sse 20
run filtered-5000 filtered --clients 5000 --sse 100
if [ "${SKIP_SOAK:-0}" != 1 ]; then
    run soak-10min soak --clients 5000 --sse 100 --soak-minutes 10
fi
