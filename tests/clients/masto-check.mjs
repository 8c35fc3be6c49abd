// A real third-party client against a running server: masto.js subscribes to public:local and user, and prints
// what arrives. Used by scripts/check-mastojs.sh; exits 1 if three events do not arrive within 10 s.
import { createStreamingAPIClient } from "masto";
import WebSocket from "ws";

const [url, token] = process.argv.slice(2);
const streaming = createStreamingAPIClient({ streamingApiUrl: url, accessToken: token, implementation: WebSocket });
const got = [];
const done = new Promise((resolve) => {
  const record = (line) => { got.push(line); if (got.length >= 3) resolve(); };
  (async () => { for await (const e of streaming.public.local.subscribe()) record(`public:local ${e.event} ${e.event === "delete" ? e.payload : e.payload.id}`); })();
  (async () => { for await (const e of streaming.user.subscribe()) record(`user ${e.event} ${e.payload.id ?? e.payload}`); })();
});
const timer = setTimeout(() => { console.log("TIMEOUT after", got); process.exit(1); }, 10000);
await done;
clearTimeout(timer);
console.log(got.join("\n"));
process.exit(0);
