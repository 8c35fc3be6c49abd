'use strict';
// The Node.js load tool of bench/ (npm ws), so a run can show that the ratios do not depend on the tool.
// Opens N WebSocket clients the way tests/AotStreaming.Benchmarks does (one token per client, 100 clients per
// source address in 127.1.0.0/16), counts the statuses they receive and records each one's latency from the
// publisher's sent_at_ticks (CLOCK_MONOTONIC nanoseconds, the same clock as process.hrtime here).
// The .NET tool drives it over stdin, one command a line:
//   stats  -> one JSON line: connected, delivered, filterMatches, outOfOrder, disconnected, p50/p90/p99/max ms
//   reset  -> forget the latencies recorded so far; answers "reset"
//   node load-client.js --port P --clients N --stream public:local [--batch 200] [--token-prefix bench-token-] [--one-account]
const readline = require('node:readline');
const WebSocket = require('ws');

function arg(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg('port', '4000'));
const clients = Number(arg('clients', '5000'));
const stream = arg('stream', 'public:local');
const batch = Number(arg('batch', '200'));
const tokenPrefix = arg('token-prefix', 'bench-token-');
// --one-account: every client signs in with token 0 (the user stream: one account's home timeline on every client).
const oneAccount = process.argv.includes('--one-account');
const perAddress = 100;

let latencies = new Float64Array(1 << 20);
let recorded = 0;
let delivered = 0;
let filterMatches = 0;
let outOfOrder = 0;
let disconnected = 0;
let connected = 0;
let failed = 0;
const failures = new Map();

function record(ms) {
  if (recorded === latencies.length) {
    const bigger = new Float64Array(latencies.length * 2);
    bigger.set(latencies);
    latencies = bigger;
  }
  latencies[recorded++] = ms;
}

function sourceAddress(i) {
  const n = Math.floor(i / perAddress);
  return `127.1.${Math.floor(n / 250)}.${(n % 250) + 1}`;
}

function open(i) {
  return new Promise((resolve) => {
    const url = `ws://127.0.0.1:${port}/api/v1/streaming?stream=${encodeURIComponent(stream)}&access_token=${encodeURIComponent(tokenPrefix + (oneAccount ? 0 : i))}`;
    const ws = new WebSocket(url, { localAddress: sourceAddress(i), perMessageDeflate: false, handshakeTimeout: 30000 });
    let lastId = -1;
    let opened = false;
    ws.on('open', () => {
      opened = true;
      connected++;
      resolve();
    });
    ws.on('message', (data) => {
      const now = Number(process.hrtime.bigint());
      let frame;
      try {
        frame = JSON.parse(data);
      } catch {
        return;
      }
      if (frame.event !== 'update') return;
      const status = typeof frame.payload === 'string' ? JSON.parse(frame.payload) : frame.payload;
      const id = Number(status.id);
      if (id <= lastId) outOfOrder++;
      lastId = Math.max(lastId, id);
      if (Array.isArray(status.filtered) && status.filtered.length > 0) filterMatches++;
      if (typeof status.sent_at_ticks === 'number') record((now - status.sent_at_ticks) / 1e6);
      delivered++;
    });
    ws.on('error', (err) => {
      if (!opened) {
        failed++;
        failures.set(err.message, (failures.get(err.message) || 0) + 1);
        resolve();
      }
    });
    ws.on('close', () => {
      if (opened) disconnected++;
    });
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

function stats() {
  const sorted = latencies.slice(0, recorded).sort();
  return {
    connected, failed, delivered, filterMatches, outOfOrder, disconnected,
    p50: percentile(sorted, 50), p90: percentile(sorted, 90), p99: percentile(sorted, 99),
    max: recorded ? sorted[recorded - 1] : 0,
    failures: [...failures.entries()].slice(0, 3).map(([m, c]) => `${c} x ${m}`),
  };
}

async function main() {
  const started = process.hrtime.bigint();
  for (let i = 0; i < clients; i += batch) {
    const pending = [];
    for (let j = i; j < Math.min(clients, i + batch); j++) pending.push(open(j));
    await Promise.all(pending);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`connected ${connected}/${clients} in ${seconds.toFixed(1)}s`);
  const input = readline.createInterface({ input: process.stdin });
  input.on('line', (line) => {
    const command = line.trim();
    if (command === 'stats') console.log('stats ' + JSON.stringify(stats()));
    else if (command === 'reset') {
      recorded = 0;
      console.log('reset');
    }
  });
  input.on('close', () => process.exit(0));
}

main();
