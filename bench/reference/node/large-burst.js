// One trial of bench/large-burst.sh (issue 10 item 6): a WebSocket and an SSE client on alice's home timeline of the
// demo database, a bare reference subscriber on the same Redis channel (reads and discards), then three 20 MB
// statuses PUBLISHed back to back on one connection. Prints one JSON line: whether both clients got all three, and
// whether Redis closed the reference for its pub/sub output-buffer limit. Whether it closed the server's subscriber
// is read from the server's log by the caller.
// env: PORT (server), REDIS_PORT, TOKEN, ACCOUNT_ID, SIZE_MB (20), COUNT (3)
const WebSocket = require('ws');
const http = require('http');
const net = require('net');

const port = +(process.env.PORT || 4100);
const redisPort = +(process.env.REDIS_PORT || 6390);
const token = process.env.TOKEN || 'demo-token-alice';
const channel = `timeline:${process.env.ACCOUNT_ID || 1}`;
const size = +(process.env.SIZE_MB || 20) * 1024 * 1024;
const count = +(process.env.COUNT || 3);
const started = Date.now();

function command(args) {
  const parts = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(arg);
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

function status(id, content) {
  return JSON.stringify({
    event: 'update',
    payload: {
      id, created_at: '2026-11-28T10:00:00.000Z', visibility: 'public', language: 'en', content,
      account: {id: '2', username: 'bob', acct: 'bob'}, mentions: [], tags: [], reblog: null,
    },
  });
}

const got = {ws: 0, sse: 0};
const warm = {ws: false, sse: false};
let referenceBytes = 0;
let referenceClosed = false;

function finish(result) {
  console.log(JSON.stringify({result, ws: got.ws, sse: got.sse, referenceBytes, referenceClosed, ms: Date.now() - started}));
  process.exit(0);
}

function check() {
  if (got.ws >= count && got.sse >= count) finish('delivered');
}

const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/streaming?stream=user&access_token=${token}`, {maxPayload: 1 << 30});
ws.on('message', (m) => {
  // The payload is a JSON string inside the frame, so the id appears escaped: look for the bare word.
  const head = m.subarray(0, 200).toString();
  if (head.includes('big')) got.ws++;
  else if (head.includes('warm')) warm.ws = true;
  check();
});
ws.on('close', () => finish('websocket-closed'));
ws.on('error', (e) => finish('websocket-error ' + e.message));

http.get({host: '127.0.0.1', port, path: '/api/v1/streaming/user', headers: {Authorization: `Bearer ${token}`}}, (res) => {
  // Event ids are searched across chunk boundaries with a short carry; the content is only 'x', so no false match.
  const big = Buffer.from('"id":"big');
  const warmId = Buffer.from('"id":"warm"');
  let carry = Buffer.alloc(0);
  res.on('data', (chunk) => {
    const bytes = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    for (let at = bytes.indexOf(big); at >= 0; at = bytes.indexOf(big, at + 1)) got.sse++;
    if (bytes.indexOf(warmId) >= 0) warm.sse = true;
    carry = Buffer.from(bytes.subarray(Math.max(0, bytes.length - big.length + 1)));
    check();
  });
  res.on('end', () => finish('sse-ended'));
}).on('error', (e) => finish('sse-error ' + e.message));

const reference = net.connect(redisPort, '127.0.0.1', () => reference.write(command(['SUBSCRIBE', channel])));
reference.on('data', (d) => { referenceBytes += d.length; });
reference.on('close', () => { referenceClosed = true; });
reference.on('error', () => { referenceClosed = true; });

const publisher = net.connect(redisPort, '127.0.0.1');
publisher.on('data', () => {});

(async () => {
  // A small status until both clients have one: both are then connected and subscribed.
  for (let i = 0; i < 100 && !(warm.ws && warm.sse); i++) {
    publisher.write(command(['PUBLISH', channel, status('warm', 'w')]));
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!(warm.ws && warm.sse)) finish('not-subscribed');
  const content = 'x'.repeat(size);
  const burst = [];
  for (let i = 1; i <= count; i++) burst.push(command(['PUBLISH', channel, status('big' + i, content)]));
  publisher.write(Buffer.concat(burst));
  setTimeout(() => finish('timeout'), 60000);
})();
