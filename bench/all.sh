#!/usr/bin/env bash
# Every comparison of issue #13 in one go (about 10 minutes on 2 cores, plus a first publish): ours against the bare Node.js ws
# broadcaster and the bare C# raw-socket broadcaster (bench/reference), each loaded by the same tool in the same run.
#   1. compare, 5,000 clients at 10/s: the shared user stream (one account's home timeline on every client; ours,
#      node, raw), then ours on the public timeline with
#      5,000 distinct users, without and with 5% blocks, 5% mutes, 10% keyword filters, then ours shared again
#      (the public ratios use the mean of ours shared before and after them);
#   2. shared, 10,000 clients at 10/s (ours, node, raw): RSS growth per idle connection at 10,000, and p99;
#   3. shared, 5,000 clients at 10/s with the Node.js ws client as the load tool (ours, node, raw).
# Logs go to artifacts/bench/*.log, the closing tables to artifacts/bench/summary.md and stdout.
# FULL=1 also runs the README's earlier figures (1,000 / 5,000 / 10,000 clients with stalled clients, the knee,
# the filtered scenario and a 10-minute soak; about 30 minutes more, SKIP_SOAK=1 leaves out the soak).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
mkdir -p artifacts/bench
summary=artifacts/bench/summary.md
: > "$summary"
run() { # name args...
    local name=$1
    shift
    echo "=== $name: bench/run.sh $*"
    bash bench/run.sh "$@" 2>&1 | tee "artifacts/bench/$name.log" | grep -vE '^\s+\[' || true
    { echo "## $name: bench/run.sh $*"; echo; sed -n '/^=== comparison/,$p' "artifacts/bench/$name.log"; echo; } >> "$summary"
}
# On a machine other work also loads, a window's deliveries can lag by seconds: wait for them rather than count
# them missing (DRAIN_SECONDS, default 30).
drain=(--drain-seconds "${DRAIN_SECONDS:-30}")
run compare-5000 compare --clients 5000 "${drain[@]}"
run shared-10000 shared --clients 10000 "${drain[@]}"
run shared-5000-node-tool shared --clients 5000 --load-tool node "${drain[@]}"

if [ "${FULL:-0}" = 1 ]; then
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
fi
echo
echo "=== summary ($summary)"
cat "$summary"
