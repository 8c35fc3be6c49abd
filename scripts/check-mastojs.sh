#!/usr/bin/env bash
# Streams from a running server with masto.js (the client library of many Mastodon apps).
#   bash scripts/check-mastojs.sh ws://127.0.0.1:4000 demo-token-alice [redis-port] [account-id]
# Publishes a local status, a home update and a delete in Rails' format, and prints what masto.js received.
set -euo pipefail
url=$1 token=$2 redis_port=${3:-6390} account=${4:-1}
dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/clients"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$dir/masto-check.mjs" "$work/"
(cd "$work" && npm init -y >/dev/null && npm install --silent masto@6 ws >/dev/null)
node "$work/masto-check.mjs" "$url" "$token" &
client=$!
sleep 2
redis-cli -p "$redis_port" publish timeline:public:local '{"event":"update","payload":{"id":"9001","content":"<p>hi</p>","account":{"id":"2","username":"bob","acct":"bob"},"mentions":[],"language":"en","spoiler_text":"","media_attachments":[]}}' >/dev/null
redis-cli -p "$redis_port" publish "timeline:$account" '{"event":"update","payload":{"id":"9002","content":"<p>home</p>","account":{"id":"2","username":"bob","acct":"bob"}}}' >/dev/null
redis-cli -p "$redis_port" publish timeline:public:local '{"event":"delete","payload":"9001"}' >/dev/null
wait "$client"
