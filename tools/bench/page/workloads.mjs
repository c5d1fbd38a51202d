// The workloads of the two JavaScript clients, written once: the browser's own `WebSocket` (`?client=raw-js`,
// the physical limit for any wrapper) and the npm package's `WebSocketClient` (`?client=bws-js`). The harness
// imports this module once per client, under two URLs, so each client gets its own module instance and its own
// JIT feedback: neither slows the other down by making the code polymorphic.
//
// Everything after `open` is the same code for both, since `WebSocketClient` has `WebSocket`'s shape: `send`,
// `onmessage`, `bufferedAmount`. Every workload measures with performance.now(), after the connection is open and
// before it is closed, as the Rust clients (bench/page) do.

import { WebSocketClient } from '/npm/browser_ws.js';

const client = new URL(import.meta.url).searchParams.get('client');

/** Resolves with an open connection (binaryType "arraybuffer"). */
const open =
  client === 'bws-js'
    ? (url) => WebSocketClient.connect(url, { binaryType: 'arraybuffer' })
    : (url) =>
        new Promise((resolve, reject) => {
          const ws = new WebSocket(url);
          ws.binaryType = 'arraybuffer';
          ws.onopen = () => {
            ws.onopen = ws.onclose = null;
            resolve(ws);
          };
          ws.onclose = (event) => reject(new Error(`closed with ${event.code} before opening`));
        });

/** Closes with 1000 and resolves once the close event came. */
const close =
  client === 'bws-js'
    ? async (ws) => {
        await ws.close(1000);
        ws.free();
      }
    : (ws) =>
        new Promise((resolve) => {
          ws.onclose = () => resolve();
          ws.close(1000);
        });

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Round-trip times (ms) of `rounds` text messages, one at a time. */
export async function pingPong(url, rounds, payload) {
  const ws = await open(url);
  const samples = new Float64Array(rounds);
  await new Promise((resolve, reject) => {
    let i = 0;
    let start = 0;
    ws.onmessage = (event) => {
      const end = performance.now();
      if (event.data.length !== payload.length) return reject(new Error('unexpected reply'));
      samples[i++] = end - start;
      if (i === rounds) return resolve();
      start = performance.now();
      ws.send(payload);
    };
    start = performance.now();
    ws.send(payload);
  });
  ws.onmessage = null;
  await close(ws);
  return samples;
}

/** Milliseconds to send `count` text messages without waiting and receive all their echoes. */
export async function pipelined(url, count, payload) {
  const ws = await open(url);
  let start = 0;
  await new Promise((resolve, reject) => {
    let received = 0;
    ws.onmessage = (event) => {
      if (typeof event.data !== 'string') return reject(new Error('expected a text echo'));
      if (++received === count) resolve();
    };
    start = performance.now();
    for (let i = 0; i < count; i++) ws.send(payload);
  });
  const elapsed = performance.now() - start;
  ws.onmessage = null;
  await close(ws);
  return elapsed;
}

/** Milliseconds for `count` echoes, one after the other, of `first`; each echo is sent again. */
async function echo(url, count, first, length) {
  const ws = await open(url);
  let start = 0;
  await new Promise((resolve, reject) => {
    let received = 0;
    ws.onmessage = (event) => {
      if (length(event.data) !== length(first)) return reject(new Error('unexpected reply'));
      if (++received === count) return resolve();
      ws.send(event.data);
    };
    start = performance.now();
    ws.send(first);
  });
  const elapsed = performance.now() - start;
  ws.onmessage = null;
  await close(ws);
  return elapsed;
}

/** Milliseconds for `count` echoes of a binary message of `bytes` bytes (byte i = i % 251). */
export function binaryEcho(url, count, bytes) {
  const data = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) data[i] = i % 251;
  return echo(url, count, data, (d) => d.byteLength);
}

/** Milliseconds for `count` echoes of the text message `text`. */
export function textEcho(url, count, text) {
  return echo(url, count, text, (d) => d.length);
}

/** Milliseconds for `count` connections, one after the other, opened, closed with 1000, close event received. */
export async function connectClose(url, count) {
  const start = performance.now();
  for (let i = 0; i < count; i++) await close(await open(url));
  return performance.now() - start;
}

/**
 * [milliseconds, largest bufferedAmount seen] to send `total` bytes in binary messages of `chunk` bytes, with
 * the Rust Sink's rule: once bufferedAmount is over `high`, wait until it is `low` or less, re-reading it every
 * `pollMs`; at the end, wait until it is 0.
 */
export async function backpressure(url, total, chunk, high, low, pollMs) {
  const ws = await open(url);
  const data = new Uint8Array(chunk).fill(0x5a);
  const count = Math.floor(total / chunk);
  let max = 0;
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    if (ws.bufferedAmount > high) {
      while (ws.bufferedAmount > low) await pause(pollMs);
    }
    ws.send(data);
    max = Math.max(max, ws.bufferedAmount);
  }
  while (ws.bufferedAmount > 0) await pause(pollMs);
  const elapsed = performance.now() - start;
  await close(ws);
  return [elapsed, max];
}

/**
 * The slow-reader workload with the browser's `WebSocket`: the server floods `count` texts (`url` is a `/flood`
 * route); `onmessage` queues each, as any JS reader must (the socket cannot be paused), and the reader takes
 * them one by one with a pause of `delayMs`. [milliseconds until the last was taken, messages taken].
 */
export async function slowReader(url, count, delayMs) {
  const ws = await open(url);
  const queue = [];
  let wake = null;
  ws.onmessage = (event) => {
    queue.push(event.data);
    wake?.();
  };
  const last = `${count - 1}:`;
  const start = performance.now();
  let taken = 0;
  for (;;) {
    while (queue.length === 0) await new Promise((resolve) => (wake = resolve));
    wake = null;
    const message = queue.shift();
    taken += 1;
    if (message.startsWith(last)) break;
    await pause(delayMs);
  }
  const elapsed = performance.now() - start;
  ws.onmessage = null;
  await close(ws);
  return [elapsed, taken];
}
