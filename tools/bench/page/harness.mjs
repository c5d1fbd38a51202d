// The benchmark page's harness: tools/bench/run.mjs (`cargo xtask bench`) loads it and calls `window.bench`.
//
// Five clients run the same workloads: the browser's `WebSocket` from plain JS (`raw-js`) and the npm package's
// `WebSocketClient` (`bws-js`), both in workloads.mjs; browser-ws's Rust async API (`bws-async`), its callback API (`bws-callback`) and gloo-net
// 0.6 (`gloo-net`), all in bench/page (Rust, built to /pkg/). `?mode=memory` first installs counters of
// WebSocket listeners and live WebSocket objects (as tests/soak.rs does), for the memory workload only: the
// counters would slow the timed workloads down.

import initPage, * as rust from '/pkg/bench_page.js';
import initNpm from '/npm/browser_ws.js';

const mode = new URLSearchParams(location.search).get('mode');
const counters = mode === 'memory' ? installCounters() : null;

await Promise.all([initPage(), initNpm()]);
const js = {
  'raw-js': await import('./workloads.mjs?client=raw-js'),
  'bws-js': await import('./workloads.mjs?client=bws-js'),
};

/** Counts listeners added to WebSockets and WebSocket objects not yet garbage-collected. */
function installCounters() {
  const counts = { listeners: 0, created: 0, collected: 0 };
  const registry = new FinalizationRegistry(() => {
    counts.collected += 1;
  });
  const add = EventTarget.prototype.addEventListener;
  const remove = EventTarget.prototype.removeEventListener;
  EventTarget.prototype.addEventListener = function (...args) {
    if (this instanceof WebSocket) counts.listeners += 1;
    return add.apply(this, args);
  };
  EventTarget.prototype.removeEventListener = function (...args) {
    if (this instanceof WebSocket) counts.listeners -= 1;
    return remove.apply(this, args);
  };
  const Native = globalThis.WebSocket;
  globalThis.WebSocket = class CountedWebSocket extends Native {
    constructor(...args) {
      super(...args);
      counts.created += 1;
      registry.register(this, null);
    }
  };
  return counts;
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects garbage until finalizers have run (they run in later tasks). */
async function settle() {
  for (let i = 0; i < 5; i++) {
    globalThis.gc?.();
    await pause(100);
  }
}

/** Text of whole repetitions of a mixed-script phrase, at least `bytes` bytes of UTF-8. */
function nonAsciiText(bytes) {
  const phrase = 'Grüße, 世界! Ωμέγα — ünïcødé ✓ données ';
  const size = new TextEncoder().encode(phrase).length;
  return phrase.repeat(Math.ceil(bytes / size));
}
const texts = new Map();
/** The text message of the text workload and its size in UTF-8 bytes, made once. */
function text(bytes) {
  if (!texts.has(bytes)) {
    const message = nonAsciiText(bytes);
    texts.set(bytes, { message, bytes: new TextEncoder().encode(message).length });
  }
  return texts.get(bytes);
}

/** Runs one workload once with one client; resolves with what it measured. */
async function run(workload, client, base, p) {
  const url = `${base}${p.route}`;
  const isRust = !(client in js);
  const impl = js[client];
  globalThis.gc?.();
  await pause(0);
  switch (workload) {
    case 'pingpong': {
      const samples = isRust
        ? await rust.ping_pong(client, url, p.rounds, 'x'.repeat(p.bytes))
        : await impl.pingPong(url, p.rounds, 'x'.repeat(p.bytes));
      return { samples: Array.from(samples) };
    }
    case 'pipelined': {
      const payload = 'm'.repeat(p.bytes);
      const ms = isRust ? await rust.pipelined(client, url, p.count, payload) : await impl.pipelined(url, p.count, payload);
      return { ms };
    }
    case 'binary': {
      const ms = isRust ? await rust.binary_echo(client, url, p.count, p.bytes) : await impl.binaryEcho(url, p.count, p.bytes);
      return { ms };
    }
    case 'text': {
      const { message, bytes } = text(p.bytes);
      const ms = isRust ? await rust.text_echo(client, url, p.count, message) : await impl.textEcho(url, p.count, message);
      return { ms, bytes };
    }
    case 'connect': {
      const ms = isRust ? await rust.connect_close(client, url, p.count) : await impl.connectClose(url, p.count);
      return { ms };
    }
    case 'backpressure': {
      const [ms, maxBuffered] = isRust
        ? await rust.backpressure(client, url, p.total, p.chunk, p.high, p.low, p.pollMs)
        : await impl.backpressure(url, p.total, p.chunk, p.high, p.low, p.pollMs);
      return { ms, maxBuffered };
    }
    default:
      throw new Error(`unknown workload ${workload}`);
  }
}

/** Asks the echo server how many connections tagged `tag` are open and were ever opened. */
function serverStats(base, tag) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base}/stats?tag=${encodeURIComponent(tag)}`);
    ws.onmessage = (event) => resolve(JSON.parse(event.data));
    ws.onclose = () => reject(new Error('/stats closed without an answer'));
  });
}

/** The memory workload: connect/close cycles with browser-ws's async API, and what they left behind. */
async function memory(base, p) {
  if (!counters) throw new Error('load the page with ?mode=memory');
  await rust.cycles(`${base}/echo?tag=${p.tag}-warmup`, p.warmup);
  await settle();
  const snapshot = () => ({
    wasmMemoryBytes: rust.wasm_memory_bytes(),
    listeners: counters.listeners,
    liveSockets: counters.created - counters.collected,
  });
  const before = snapshot();
  const ms = await rust.cycles(`${base}/echo?tag=${p.tag}`, p.cycles);
  await settle();
  const after = snapshot();
  // Clean closes are counted as closed by the time the browser sees the close event; wait for stragglers anyway.
  let server = await serverStats(base, p.tag);
  for (let i = 0; i < 20 && server.open !== 0; i++) {
    await pause(100);
    server = await serverStats(base, p.tag);
  }
  return { cycles: p.cycles, warmup: p.warmup, ms, before, after, server, gc: typeof globalThis.gc === 'function' };
}

/** The page's JS heap in use (Chromium's `performance.memory`; precise with --enable-precise-memory-info). */
const heap = () => performance.memory?.usedJSHeapSize ?? NaN;

/**
 * The slow-reader workload for one client (`raw-js`, `gloo-net`, `bws-classic`, `bws-stream`): the server floods
 * `p.count` texts of `p.bytes` at a reader that takes one every `p.delayMs`. Measures the time, the messages
 * taken (so the ones lost), and the peak of the JS heap (sampled every 10 ms) and of the Wasm memory, each above
 * what it was before the run, and the server's time to send everything.
 */
async function slowReader(base, client, p) {
  await settle();
  const heapBefore = heap();
  const wasmBefore = rust.wasm_memory_bytes();
  let heapPeak = heapBefore;
  const sampler = setInterval(() => {
    heapPeak = Math.max(heapPeak, heap());
  }, 10);
  const tag = `${p.tag}-${client}`;
  const url = `${base}/flood?count=${p.count}&bytes=${p.bytes}&tag=${tag}`;
  let result;
  try {
    result =
      client === 'raw-js'
        ? await js['raw-js'].slowReader(url, p.count, p.delayMs)
        : Array.from(await rust.slow_reader(client, url, p.count, p.delayMs, p.capacity));
  } finally {
    clearInterval(sampler);
  }
  heapPeak = Math.max(heapPeak, heap());
  const [ms, taken] = result;
  const server = await serverStats(base, tag);
  return {
    client,
    ms,
    taken,
    lost: p.count - taken,
    heapPeakBytes: heapPeak - heapBefore,
    wasmGrowthBytes: rust.wasm_memory_bytes() - wasmBefore,
    wasmBytes: rust.wasm_memory_bytes(),
    serverMs: server.floodMs ?? null,
  };
}

/** Loads a minimal echo app of the size comparison and resolves with what it received (or "timeout"). */
async function sizeApp(name, base) {
  const app = await import(`/size/${name}/app.js`);
  await app.default();
  return new Promise((resolve) => {
    app.start(`${base}/echo`, resolve);
    setTimeout(() => resolve('timeout'), 10_000);
  });
}

window.bench = {
  run,
  memory,
  slowReader,
  sizeApp,
  info: () => ({ userAgent: navigator.userAgent, crossOriginIsolated, gc: typeof globalThis.gc === 'function' }),
};
document.getElementById('status').textContent = 'ready';
