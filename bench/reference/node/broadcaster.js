'use strict';
// The bare Node.js reference of bench/: what a minimal streaming server costs on this machine.
// It accepts every WebSocket upgrade on any path without auth, subscribes to one Redis channel and sends each
// message, encoded once into the frame Mastodon clients get ({"stream":[..],"event":..,"payload":"<json text>"}),
// to every socket with ws.send. No filtering, no per-connection state beyond ws' own.
//   node broadcaster.js --port P --redis-port R --channel timeline:public:local --stream public:local
const http = require('node:http');
const { WebSocketServer } = require('ws');
const Redis = require('ioredis');

function arg(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg('port', '4100'));
const redisPort = Number(arg('redis-port', '6379'));
const channel = arg('channel', 'timeline:public:local');
const streamName = arg('stream', channel.replace(/^timeline:/, ''));

const server = http.createServer((req, res) => {
  res.writeHead(404);
  res.end();
});
// perMessageDeflate off: Mastodon's server and ours do not compress either.
const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: true });
wss.on('connection', (ws) => {
  ws.on('error', () => {});
});

const redis = new Redis({ host: '127.0.0.1', port: redisPort, lazyConnect: false });
redis.on('message', (_channel, message) => {
  let parsed;
  try {
    parsed = JSON.parse(message);
  } catch {
    return;
  }
  if (!parsed.event || !parsed.payload) return;
  const payload = typeof parsed.payload === 'string' ? parsed.payload : JSON.stringify(parsed.payload);
  // Encoded once: one UTF-8 buffer, which ws frames for every socket without converting it again.
  const frame = Buffer.from(JSON.stringify({ stream: [streamName], event: parsed.event, payload }));
  for (const ws of wss.clients) {
    if (ws.readyState === 1) ws.send(frame, { binary: false });
  }
});

redis.subscribe(channel).then(() => {
  server.listen(port, '127.0.0.1', () => {
    console.log(`reference node broadcaster listening on 127.0.0.1:${port}, channel ${channel}`);
  });
}, (err) => {
  console.error('subscribe failed: ' + err.message);
  process.exit(1);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => process.exit(0));
}
