// The browser's own cost of WebSocketStream for many small messages, with no library in the way: the bench's
// "pipelined" workload (10,000 texts of 32 bytes sent at once, all echoes received) in plain JS over the classic
// WebSocket and over WebSocketStream (a reader awaiting each chunk), alternating, 9 runs after a warm-up, in
// headless Chromium. Prints the medians in messages per second and their ratio.
//
//   node tools/bench/stream-limit.mjs ws://127.0.0.1:PORT/echo     (a running echo-server, release build)

import http from 'node:http';
import { launchChromium } from '../chromium.mjs';

const url = process.argv[2];
if (!url) throw new Error('usage: node tools/bench/stream-limit.mjs ws://HOST:PORT/echo');

// A page of its own origin: WebSocketStream needs a secure context, which http://127.0.0.1 is.
const server = http.createServer((_, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><title>stream limit</title>');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await launchChromium();
const page = await browser.newPage();
await page.goto(`http://127.0.0.1:${server.address().port}/`);

const runs = await page.evaluate(async (url) => {
  const count = 10_000;
  const payload = 'x'.repeat(32);

  async function classic() {
    const ws = new WebSocket(url);
    await new Promise((resolve) => (ws.onopen = resolve));
    const start = performance.now();
    await new Promise((resolve) => {
      let received = 0;
      ws.onmessage = () => {
        if (++received === count) resolve();
      };
      for (let i = 0; i < count; i++) ws.send(payload);
    });
    const elapsed = performance.now() - start;
    ws.close();
    return count / (elapsed / 1000);
  }

  async function stream() {
    const wss = new WebSocketStream(url);
    const { readable, writable } = await wss.opened;
    const reader = readable.getReader();
    const writer = writable.getWriter();
    const start = performance.now();
    for (let i = 0; i < count; i++) writer.write(payload);
    for (let received = 0; received < count; received++) {
      if ((await reader.read()).done) throw new Error('the stream ended early');
    }
    const elapsed = performance.now() - start;
    wss.close();
    return count / (elapsed / 1000);
  }

  const runs = { classic: [], stream: [] };
  await classic();
  await stream();
  for (let i = 0; i < 9; i++) {
    runs.classic.push(await classic());
    runs.stream.push(await stream());
  }
  return runs;
}, url);

await browser.close();
server.close();

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const [classic, stream] = [median(runs.classic), median(runs.stream)];
console.log(
  `pipelined 10k texts, msg/s: WebSocket ${Math.round(classic)}, ` +
    `WebSocketStream ${Math.round(stream)} (${(stream / classic).toFixed(2)}x)`,
);
