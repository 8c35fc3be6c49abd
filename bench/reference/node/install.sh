#!/usr/bin/env bash
# Node.js, npm and this folder's packages (npm ws, ioredis) from the committed lock file, for bench/run.sh's Node
# reference and load tool and for bench/large-burst.sh's clients. Installs only what is missing or out of date.
set -euo pipefail
node_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "installing nodejs and npm (apt-get) for the Node.js parts of the benchmarks ..."
  apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
if [[ ! -d $node_dir/node_modules || $node_dir/package-lock.json -nt $node_dir/node_modules ]]; then
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$node_dir/node_modules"
fi
