// The benchmark runner of `cargo xtask bench`: serves the benchmark page (tools/bench/page/) with what xtask built
// under target/bench/, drives it in headless Chromium through playwright-core, and writes the results.
//
// Every workload runs for every client, interleaved (A B C D E A B C D E ...), after one short unrecorded
// warm-up run each; the table gives each client's median over the repetitions, the spread (half the min..max range, relative
// to the median) and its speed relative to raw JS measured in the same run. Then: the memory workload (10,000
// connect/close cycles with browser-ws, on a page of its own that counts listeners and live sockets) and the
// gzipped sizes of the minimal echo app written five ways: browser-ws's async and callback APIs, gloo-net,
// web-sys alone, and the least async client over web-sys (each also run once, to check that it works).
//
// Output: the table on stdout; target/bench/results.json, results.md (the README's table) and bench.svg.
// `node tools/bench/run.mjs --render target/bench/results.json` redraws results.md and bench.svg from the JSON.
//
// Environment:
//   BROWSER_WS_ECHO_URL   ws://HOST:PORT of a running echo-server (required)
//   BENCH_DIR             what xtask built [default: target/bench]: page/ (bench/page, wasm-bindgen --target web),
//                         npm/pkg/ (the npm package as tools/npm-package.mjs makes it for publishing), size/<app>/
//   BENCH_REPS            repetitions of each workload [default: 7]
//   BENCH_CLIENTS         comma-separated client ids [default: raw-js,bws-async,bws-callback,bws-js,gloo-net]
//   BENCH_WORKLOADS       comma-separated workload ids [default: all]; `memory` and `size` are workloads too
//   BENCH_CYCLES          connect/close cycles of the memory workload [default: 10000]
//   BENCH_ECHO_PROFILE    how echo-server was built, for the record [default: unknown]
//   CHROMIUM              the browser [default: /usr/bin/chromium]; nothing is ever downloaded

import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { launchChromium } from '../chromium.mjs';
import { measure, shippedFiles } from '../size.mjs';
import { sendFile } from '../static.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');
const pageDir = path.join(import.meta.dirname, 'page');
const benchDir = path.resolve(root, process.env.BENCH_DIR || path.join('target', 'bench'));
/** The npm package as tools/npm-package.mjs makes it for publishing (its pkg/ folder). */
const npmDir = path.join(benchDir, 'npm', 'pkg');
const echoUrl = (process.env.BROWSER_WS_ECHO_URL || '').replace(/\/$/, '');
const reps = Number(process.env.BENCH_REPS || 7);
const cycles = Number(process.env.BENCH_CYCLES || 10_000);

const ALL_CLIENTS = {
  'raw-js': 'raw JS WebSocket',
  'bws-async': 'browser-ws async (Rust)',
  'bws-callback': 'browser-ws callback (Rust)',
  'bws-js': 'browser-ws JS API (npm)',
  'gloo-net': 'gloo-net 0.6 (Rust)',
  'bws-stream': 'browser-ws async, WebSocketStream (Rust)',
};
const clients = (process.env.BENCH_CLIENTS || 'raw-js,bws-async,bws-callback,bws-js,gloo-net,bws-stream').split(',');
for (const id of clients) if (!(id in ALL_CLIENTS)) throw new Error(`unknown client ${id}`);
if (clients[0] !== 'raw-js') throw new Error('raw-js must be the first client: it is the reference');

const MB = 1e6;
const WORKLOADS = [
  {
    id: 'pingpong',
    title: 'Ping-pong round trip of a 64-byte text (300 per run)',
    params: { route: '/echo', rounds: 300, bytes: 64 },
    // The percentiles are taken over the round trips of all the runs of a client together (the spread is still
    // that of the runs' own percentiles): one run's p50 flips between two levels as the OS moves the browser's
    // processes between the two cores, which a median of a few runs does not smooth out.
    metrics: [
      { key: 'p50', label: 'ping-pong p50', unit: 'ms', better: 'lower', value: (r) => percentile(r.samples, 0.5), pooled: (runs) => percentile(runs.flatMap((r) => r.samples), 0.5) },
      { key: 'p99', label: 'ping-pong p99', unit: 'ms', better: 'lower', value: (r) => percentile(r.samples, 0.99), pooled: (runs) => percentile(runs.flatMap((r) => r.samples), 0.99) },
    ],
  },
  {
    id: 'pipelined',
    title: 'Pipelined throughput: 10,000 texts of 32 bytes sent at once, all echoes received',
    params: { route: '/echo', count: 10_000, bytes: 32 },
    metrics: [{ key: 'rate', label: 'pipelined 10k texts', unit: 'msg/s', better: 'higher', value: (r, p) => p.count / (r.ms / 1000) }],
  },
  {
    id: 'binary',
    title: 'Binary echo: 100 messages of 1 MiB, one after the other',
    params: { route: '/echo', count: 100, bytes: 1 << 20 },
    metrics: [{ key: 'rate', label: 'binary 1 MiB echo', unit: 'MB/s', better: 'higher', value: (r, p) => (p.count * p.bytes) / MB / (r.ms / 1000) }],
  },
  {
    id: 'text',
    title: 'Text echo: 10 messages of 1 MB of non-ASCII text, one after the other',
    params: { route: '/echo', count: 10, bytes: 1_000_000 },
    metrics: [{ key: 'rate', label: 'text 1 MB non-ASCII echo', unit: 'MB/s', better: 'higher', value: (r, p) => (p.count * r.bytes) / MB / (r.ms / 1000) }],
  },
  {
    id: 'connect',
    title: 'Connect and close: 50 connections, one after the other (open, close 1000, close event)',
    params: { route: '/echo', count: 50 },
    metrics: [{ key: 'rate', label: 'connect + close', unit: 'conn/s', better: 'higher', value: (r, p) => p.count / (r.ms / 1000) }],
  },
  {
    id: 'backpressure',
    title: 'Send with backpressure: 32 MiB in 64 KiB binary messages to /sink?ms=0, bufferedAmount kept under 1 MiB (resume at 256 KiB, polled every 5 ms), then drained to 0',
    params: { route: '/sink?ms=0', total: 32 << 20, chunk: 64 << 10, high: 1 << 20, low: 256 << 10, pollMs: 5 },
    na: {
      'gloo-net':
        'gloo-net 0.6 exposes neither bufferedAmount nor its browser WebSocket, and its Sink is always ready: no bounded loop can be written with it',
    },
    metrics: [{ key: 'rate', label: 'send w/ backpressure', unit: 'MB/s', better: 'higher', value: (r, p) => p.total / MB / (r.ms / 1000) }],
  },
];
/**
 * The slow-reader workload (`slowreader`): the server floods 32 MiB as fast as it can, 1,000 texts of 32 KiB, at a
 * reader that takes one message every 2 ms (a timer each; Chromium clamps nested timers to 4 ms). One run per
 * client, each on the same page after a forced GC. browser-ws gets a receive queue of 64 messages: over the
 * classic WebSocket with Overflow::DropOldest, over WebSocketStream with Overflow::Backpressure.
 */
const SLOW_READER = {
  params: { count: 1000, bytes: 32 << 10, delayMs: 2, capacity: 64 },
  clients: {
    'bws-stream': 'browser-ws, WebSocketStream, Backpressure (queue 64)',
    'bws-classic': 'browser-ws, classic WebSocket, DropOldest (queue 64)',
    'raw-js': 'raw JS WebSocket (JS array queue)',
    'gloo-net': 'gloo-net 0.6 (unbounded channel)',
  },
};

const selected = process.env.BENCH_WORKLOADS ? new Set(process.env.BENCH_WORKLOADS.split(',')) : null;
const wanted = (id) => !selected || selected.has(id);

/** The minimal echo apps of the size comparison (bench/size/*), built by xtask into size/<name>/. */
const SIZE_APPS = [
  { id: 'browser-ws', label: 'browser-ws' },
  { id: 'browser-ws-callback', label: 'browser-ws, callback API' },
  { id: 'gloo-net', label: 'gloo-net 0.6' },
  { id: 'web-sys', label: 'web-sys alone' },
  { id: 'web-sys-async', label: 'web-sys, least async client' },
];
const SIZE_GOAL = 15_000;
/** The npm package's goal: its Wasm and JS (glue and snippets, as published), gzipped. */
const NPM_SIZE_GOAL = 40_000;

/** Serves the page at /, bench/page's build at /pkg/, the npm package at /npm/ and the size apps at /size/. */
async function serve() {
  const mounts = [
    ['/pkg/', path.join(benchDir, 'page')],
    ['/npm/', npmDir],
    ['/size/', path.join(benchDir, 'size')],
    ['/', pageDir],
  ];
  const server = http.createServer(async (request, response) => {
    const { pathname } = new URL(request.url, 'http://localhost');
    const [prefix, base] = mounts.find(([prefix]) => pathname.startsWith(prefix));
    const relative = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(prefix.length));
    // Cross-origin isolation gives performance.now() a 5 µs resolution instead of 100 µs.
    await sendFile(response, base, relative, {
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

/** `evaluate`, failing after `ms` instead of hanging the run. */
async function evaluate(page, what, fn, arg, ms = 180_000) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([page.evaluate(fn, arg), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function openPage(browser, url) {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById('status')?.textContent === 'ready', null, { timeout: 60_000 });
  return { page, errors };
}

// ---- statistics ----

/** The p-th percentile (0..1) of `samples`, nearest rank. */
function percentile(samples, p) {
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** How fast `value` is relative to `reference` (higher is better, 1 = the same), for a metric. */
const speed = (metric, value, reference) => (metric.better === 'lower' ? reference / value : value / reference);

function summarize(metric, values, runs) {
  const med = metric.pooled ? metric.pooled(runs) : median(values);
  return {
    values,
    median: med,
    min: Math.min(...values),
    max: Math.max(...values),
    spreadPercent: med ? ((Math.max(...values) - Math.min(...values)) / 2 / median(values)) * 100 : 0,
  };
}

// ---- formatting ----

function fmt(value, unit) {
  if (unit === 'ms') return value < 1 ? value.toFixed(3) : value.toFixed(2);
  if (value >= 10_000) return Math.round(value).toLocaleString('en-US');
  if (value >= 100) return value.toFixed(0);
  return value.toFixed(1);
}

const pad = (text, width) => String(text).padEnd(width);
const padLeft = (text, width) => String(text).padStart(width);

function tableText(results) {
  const lines = [];
  for (const workload of results.workloads) {
    lines.push('', workload.title);
    for (const metric of workload.metrics) {
      lines.push(
        `  ${pad(`${metric.label} (${metric.unit}, ${metric.better} is better)`, 44)}${padLeft('median', 11)}${padLeft('spread', 9)}${padLeft('vs raw JS', 11)}${padLeft('vs gloo', 9)}`,
      );
      for (const [id, why] of Object.entries(workload.na ?? {})) lines.push(`    ${pad(ALL_CLIENTS[id], 42)}${padLeft('n/a', 11)}   ${why}`);
      for (const [id, s] of Object.entries(metric.clients)) {
        const vsGloo = s.vsGloo === undefined ? '' : `${s.vsGloo.toFixed(2)}x`;
        lines.push(
          `    ${pad(ALL_CLIENTS[id], 42)}${padLeft(fmt(s.median, metric.unit), 11)}${padLeft(`±${s.spreadPercent.toFixed(1)}%`, 9)}${padLeft(`${s.vsRaw.toFixed(2)}x`, 11)}${padLeft(vsGloo, 9)}`,
        );
      }
    }
  }
  return lines.join('\n');
}

function markdown(results) {
  const ids = results.config.clients;
  const out = [];
  out.push(`| workload | ${ids.map((id) => ALL_CLIENTS[id]).join(' | ')} |`);
  out.push(`| --- | ${ids.map(() => '---:').join(' | ')} |`);
  for (const workload of results.workloads) {
    for (const metric of workload.metrics) {
      const arrow = metric.better === 'lower' ? 'lower is better' : 'higher is better';
      const cells = ids.map((id) => {
        const s = metric.clients[id];
        if (!s) return 'n/a';
        const value = `${fmt(s.median, metric.unit)} ±${s.spreadPercent.toFixed(0)}%`;
        return id === 'raw-js' ? value : `${value} (**${s.vsRaw.toFixed(2)}x**)`;
      });
      out.push(`| ${metric.label}, ${metric.unit} (${arrow}) | ${cells.join(' | ')} |`);
    }
  }
  const notes = results.workloads.flatMap((w) => Object.entries(w.na ?? {}).map(([id, why]) => `n/a: ${ALL_CLIENTS[id]}, ${w.metrics[0].label}: ${why}.`));
  if (notes.length) out.push('', ...notes);
  if (results.size) {
    out.push('', '| minimal echo app | Wasm | JS glue | gzipped total |', '| --- | ---: | ---: | ---: |');
    for (const app of results.size.apps) {
      out.push(`| ${app.label} | ${app.wasmBytes.toLocaleString('en-US')} B | ${app.jsBytes.toLocaleString('en-US')} B | **${app.gzipBytes.toLocaleString('en-US')} B** |`);
    }
    const npm = results.size.npm;
    if (npm) {
      const b = (n) => `${n.toLocaleString('en-US')} B`;
      out.push('', '| npm package as published (wasm-pack --release, feature js) | Wasm | JS glue and snippets | gzipped total |', '| --- | ---: | ---: | ---: |');
      out.push(`| browser-ws | ${b(npm.wasmBytes)} (${b(npm.wasmGzipBytes)} gzipped) | ${b(npm.jsBytes)} (${b(npm.jsGzipBytes)} gzipped) | **${b(npm.gzipBytes)}** |`);
    }
  }
  if (results.slowReader) {
    const s = results.slowReader;
    const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
    out.push(
      '',
      `| slow reader: ${s.params.count.toLocaleString('en-US')} × ${s.params.bytes >> 10} KiB flooded, one taken every ${s.params.delayMs} ms | peak JS heap | Wasm memory grew | lost | reader's time | server's send time |`,
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...s.runs.map(
        (r) =>
          `| ${SLOW_READER.clients[r.client]} | ${mib(r.heapPeakBytes)} | ${mib(r.wasmGrowthBytes)} | ${r.lost} | ${(r.ms / 1000).toFixed(1)} s | ${r.serverMs === null ? '–' : `${(r.serverMs / 1000).toFixed(1)} s`} |`,
      ),
    );
  }
  if (results.memory) {
    const m = results.memory;
    out.push(
      '',
      `| after ${m.cycles.toLocaleString('en-US')} connect/close cycles, forced GC | before | after |`,
      '| --- | ---: | ---: |',
      `| Wasm memory | ${m.before.wasmMemoryBytes.toLocaleString('en-US')} B | ${m.after.wasmMemoryBytes.toLocaleString('en-US')} B |`,
      `| WebSocket event listeners | ${m.before.listeners} | ${m.after.listeners} |`,
      `| live WebSocket objects | ${m.before.liveSockets} | ${m.after.liveSockets} |`,
      `| connections open at the server | | ${m.server.open} (of ${m.server.total}) |`,
    );
  }
  return out.join('\n');
}

// ---- the chart ----

const COLORS = {
  'raw-js': '#6b7280',
  'bws-async': '#1d4ed8',
  'bws-callback': '#60a5fa',
  'bws-js': '#7c3aed',
  'gloo-net': '#f59e0b',
  'bws-stream': '#059669',
};

const esc = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function chart(results) {
  const ids = results.config.clients.filter((id) => id !== 'raw-js');
  const metrics = results.workloads.flatMap((w) => w.metrics);
  const width = 920;
  const left = 230;
  const plot = 560;
  const bar = 11;
  const group = ids.length * bar + 16;
  const parts = [];
  let y = 0;
  const text = (x, ty, content, attrs = '') => parts.push(`<text x="${x}" y="${ty}" ${attrs}>${esc(content)}</text>`);

  text(20, (y += 30), 'browser-ws: speed relative to the browser\'s WebSocket driven by plain JS', 'font-size="17" font-weight="bold"');
  text(20, (y += 20), `Same Chromium, same run, interleaved clients; median of ${results.config.reps} runs. Higher is better; 1.00x = raw JS.`, 'font-size="12" fill="#374151"');
  y += 14;
  let legendX = 20;
  for (const id of ids) {
    parts.push(`<rect x="${legendX}" y="${y}" width="12" height="12" fill="${COLORS[id]}"/>`);
    text(legendX + 16, y + 10, ALL_CLIENTS[id], 'font-size="12"');
    legendX += 16 + ALL_CLIENTS[id].length * 6.6 + 18;
  }
  y += 26;

  const maxRatio = Math.max(1.2, ...metrics.flatMap((m) => ids.filter((id) => m.clients[id]).map((id) => m.clients[id].vsRaw)));
  const scaleMax = Math.ceil(maxRatio * 5) / 5;
  const x = (ratio) => left + (Math.min(ratio, scaleMax) / scaleMax) * plot;
  const top = y;
  const height = metrics.length * group;
  for (let tick = 0; tick <= scaleMax + 1e-9; tick += 0.2) {
    const tx = x(tick);
    parts.push(`<line x1="${tx}" y1="${top}" x2="${tx}" y2="${top + height}" stroke="#e5e7eb"/>`);
    text(tx, top + height + 14, `${tick.toFixed(1)}x`, 'font-size="11" text-anchor="middle" fill="#6b7280"');
  }
  metrics.forEach((metric, i) => {
    const gy = top + i * group;
    text(left - 8, gy + group / 2 - 2, metric.label, 'font-size="12" text-anchor="end"');
    text(left - 8, gy + group / 2 + 12, `raw JS: ${fmt(metric.clients['raw-js'].median, metric.unit)} ${metric.unit}`, 'font-size="10" text-anchor="end" fill="#6b7280"');
    ids.forEach((id, j) => {
      const by = gy + 8 + j * bar;
      if (!metric.clients[id]) {
        text(left + 4, by + bar - 3, `${ALL_CLIENTS[id]}: n/a`, 'font-size="10" fill="#6b7280"');
        return;
      }
      const ratio = metric.clients[id].vsRaw;
      parts.push(`<rect x="${left}" y="${by}" width="${Math.max(1, x(ratio) - left)}" height="${bar - 2}" fill="${COLORS[id]}"/>`);
      text(x(ratio) + 4, by + bar - 3, `${ratio.toFixed(2)}x`, 'font-size="10" fill="#111827"');
    });
  });
  parts.push(`<line x1="${x(1)}" y1="${top - 4}" x2="${x(1)}" y2="${top + height}" stroke="#111827" stroke-width="1.5"/>`);
  parts.push(`<line x1="${x(0.98)}" y1="${top - 4}" x2="${x(0.98)}" y2="${top + height}" stroke="#dc2626" stroke-dasharray="4 3"/>`);
  text(x(0.98) - 4, top - 6, 'goal 0.98x', 'font-size="10" text-anchor="end" fill="#dc2626"');
  y = top + height + 40;

  if (results.size) {
    text(20, y, 'Minimal echo app, Wasm + JS glue, gzipped (-9), opt-level "z", LTO, wasm-opt -Oz', 'font-size="14" font-weight="bold"');
    y += 12;
    const maxBytes = Math.max(SIZE_GOAL, ...results.size.apps.map((a) => a.gzipBytes)) * 1.1;
    const sx = (bytes) => left + (bytes / maxBytes) * plot;
    results.size.apps.forEach((app, i) => {
      const by = y + 8 + i * 20;
      text(left - 8, by + 12, app.label, 'font-size="12" text-anchor="end"');
      const color = app.id === 'browser-ws' ? COLORS['bws-async'] : app.id === 'gloo-net' ? COLORS['gloo-net'] : COLORS['raw-js'];
      parts.push(`<rect x="${left}" y="${by}" width="${sx(app.gzipBytes) - left}" height="15" fill="${color}"/>`);
      text(sx(app.gzipBytes) + 4, by + 12, `${app.gzipBytes.toLocaleString('en-US')} B`, 'font-size="11"');
    });
    const gh = results.size.apps.length * 20 + 10;
    parts.push(`<line x1="${sx(SIZE_GOAL)}" y1="${y + 2}" x2="${sx(SIZE_GOAL)}" y2="${y + gh}" stroke="#dc2626" stroke-dasharray="4 3"/>`);
    text(sx(SIZE_GOAL) + 4, y + gh + 10, `goal ${SIZE_GOAL.toLocaleString('en-US')} B`, 'font-size="10" fill="#dc2626"');
    y += gh + 34;
  }
  if (results.memory) {
    const m = results.memory;
    text(20, y, `Memory: ${m.cycles.toLocaleString('en-US')} connect/close cycles with browser-ws, then forced GC`, 'font-size="14" font-weight="bold"');
    text(
      20,
      (y += 20),
      `Wasm memory ${m.before.wasmMemoryBytes.toLocaleString('en-US')} → ${m.after.wasmMemoryBytes.toLocaleString('en-US')} B · WebSocket listeners ${m.before.listeners} → ${m.after.listeners} · live WebSocket objects ${m.before.liveSockets} → ${m.after.liveSockets} · open at the server: ${m.server.open}`,
      'font-size="12"',
    );
    y += 14;
  }
  const machine = results.machine;
  text(20, (y += 20), `${machine.chromium} · ${machine.cpus} × ${machine.cpuModel} · ${machine.rustc} · ${machine.date.slice(0, 10)}${machine.commit ? ` · ${machine.commit}` : ''}`, 'font-size="10" fill="#6b7280"');
  y += 14;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" viewBox="0 0 ${width} ${y}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">
<rect width="100%" height="100%" fill="#ffffff"/>
${parts.join('\n')}
</svg>
`;
}

// ---- goals ----

/**
 * A ratio goal, judged on the overall ratio and on the runs: since the clients are interleaved, run i of one
 * client and run i of the other are neighbours in time, and their ratio is free of the machine's slow drifts.
 * `met` if the overall ratio reaches the target; `MISSED` if it does not and at least three runs in four miss it
 * too; otherwise `noise`: the runs disagree, so this run cannot tell.
 */
function ratioGoal(goal, metric, id, target, client, reference) {
  const ratio = speed(metric, client.median, reference.median);
  const pairs = client.values.map((value, i) => speed(metric, value, reference.values[i]));
  const below = pairs.filter((r) => r < target).length;
  const status = ratio >= target ? 'met' : below >= 0.75 * pairs.length ? 'MISSED' : 'noise';
  return { goal, metric: metric.label, client: id, value: ratio, runsBelow: below, runs: pairs.length, status, met: status === 'met' };
}

function goals(results) {
  const out = [];
  const ours = results.config.clients.filter((id) => id.startsWith('bws-'));
  for (const workload of results.workloads) {
    for (const metric of workload.metrics) {
      const raw = metric.clients['raw-js'];
      const gloo = metric.clients['gloo-net'];
      for (const id of ours) {
        const s = metric.clients[id];
        if (!s) continue;
        out.push(ratioGoal('>= 0.98x raw JS', metric, id, 0.98, s, raw));
        if (gloo && id !== 'bws-js') out.push(ratioGoal('>= 1.0x gloo-net', metric, id, 1, s, gloo));
      }
    }
  }
  const app = results.size?.apps.find((a) => a.id === 'browser-ws');
  if (app) {
    const met = app.gzipBytes <= SIZE_GOAL;
    out.push({ goal: `echo app <= ${SIZE_GOAL} B gzipped`, client: 'browser-ws', value: app.gzipBytes, status: met ? 'met' : 'MISSED', met });
    const gloo = results.size.apps.find((a) => a.id === 'gloo-net');
    if (gloo) {
      const below = app.gzipBytes < gloo.gzipBytes;
      out.push({ goal: 'echo app below gloo-net', client: 'browser-ws', value: app.gzipBytes, status: below ? 'met' : 'MISSED', met: below });
    }
  }
  const npm = results.size?.npm;
  if (npm) {
    const met = npm.gzipBytes <= NPM_SIZE_GOAL;
    out.push({ goal: `npm package <= ${NPM_SIZE_GOAL} B gz`, client: 'bws-js', value: npm.gzipBytes, status: met ? 'met' : 'MISSED', met });
  }
  if (results.memory) {
    const m = results.memory;
    const grew = m.after.wasmMemoryBytes > m.before.wasmMemoryBytes || m.after.listeners > m.before.listeners || m.after.liveSockets > m.before.liveSockets || m.server.open > 0;
    out.push({ goal: `no growth after ${m.cycles} cycles`, client: 'bws-async', value: grew ? 'grew' : 'none', status: grew ? 'MISSED' : 'met', met: !grew });
  }
  return out;
}

function printGoals(results) {
  console.log('\nGoals (MISSED: below the target overall and in at least 3 runs of 4; noise: the runs disagree)');
  for (const g of results.goals) {
    const value = typeof g.value === 'number' && g.value < 100 ? `${g.value.toFixed(2)}x` : g.value;
    const noise = g.runs === undefined ? '' : `   (${g.runsBelow} of ${g.runs} runs below)`;
    console.log(`    ${pad(g.status, 7)} ${pad(g.goal, 26)}${pad(g.metric ?? '', 28)}${pad(g.client, 16)}${value}${noise}`);
  }
  const count = (status) => results.goals.filter((g) => g.status === status).length;
  console.log(`bench: goals: ${count('met')} met, ${count('noise')} within noise, ${count('MISSED')} missed`);
}

// ---- sizes ----

async function sizes() {
  const apps = [];
  for (const app of SIZE_APPS) {
    const files = await shippedFiles(path.join(benchDir, 'size', app.id));
    apps.push({ ...app, files: files.map((f) => path.relative(benchDir, f)), ...(await measure(files)) });
  }
  return apps;
}

/** The npm package as published (npm/pkg/): its Wasm, its JS glue (unminified, as shipped) and the snippets the
 * glue imports. */
async function packageSize() {
  const files = await shippedFiles(npmDir);
  return { files: files.map((f) => path.relative(benchDir, f)), ...(await measure(files)) };
}

// ---- the run ----

function versionOf(program, args = ['--version']) {
  const result = spawnSync(program, args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim().split('\n')[0] : null;
}

async function main() {
  if (!echoUrl) throw new Error('BROWSER_WS_ECHO_URL must be the ws://HOST:PORT of a running echo-server');
  const { server, url: pageUrl } = await serve();
  const browser = await launchChromium(['--js-flags=--expose-gc', '--enable-precise-memory-info']);
  const started = Date.now();
  const log = (line) => process.stderr.write(`${line}\n`);
  try {
    const { page, errors } = await openPage(browser, pageUrl);
    const info = await evaluate(page, 'info', () => window.bench.info());
    if (!info.crossOriginIsolated) log('bench: warning: the page is not cross-origin isolated; performance.now() is coarse');
    if (!info.gc) throw new Error('gc() is not exposed: Chromium needs --js-flags=--expose-gc');
    const cpus = os.cpus();
    const results = {
      machine: {
        date: new Date().toISOString(),
        commit: versionOf('git', ['-C', root, 'rev-parse', '--short', 'HEAD']),
        chromium: `Chromium ${browser.version()} (headless)`,
        userAgent: info.userAgent,
        cpus: cpus.length,
        cpuModel: cpus[0]?.model?.trim() ?? 'unknown CPU',
        memoryGiB: Math.round(os.totalmem() / 2 ** 30),
        os: `${os.type()} ${os.release()} ${os.arch()}`,
        node: process.version,
        rustc: versionOf('rustc'),
        wasmBindgen: versionOf('wasm-bindgen'),
        wasmOpt: versionOf('wasm-opt'),
        echoServer: process.env.BENCH_ECHO_PROFILE || 'unknown',
        crossOriginIsolated: info.crossOriginIsolated,
      },
      config: { reps, clients, warmup: 1, cycles },
      workloads: [],
    };

    for (const workload of WORKLOADS.filter((w) => wanted(w.id))) {
      log(`bench: ${workload.id}: ${workload.title}`);
      const active = clients.filter((id) => !workload.na?.[id]);
      const na = Object.fromEntries(clients.filter((id) => workload.na?.[id]).map((id) => [id, workload.na[id]]));
      for (const [id, why] of Object.entries(na)) log(`bench:   ${id}: n/a: ${why}`);
      const runs = Object.fromEntries(active.map((id) => [id, []]));
      const once = (id, params = workload.params) =>
        evaluate(page, `${workload.id} ${id}`, ([w, c, base, p]) => window.bench.run(w, c, base, p), [workload.id, id, echoUrl, params]);
      // Warm-up, not recorded: a tenth of the work, enough for the JIT and Wasm tier-up.
      const light = (n) => n && Math.max(1, Math.ceil(n / 10));
      const { rounds, count, total } = workload.params;
      const warmup = { ...workload.params, rounds: light(rounds), count: light(count), total: total && total / 8 };
      for (const id of active) await once(id, warmup);
      for (let rep = 0; rep < reps; rep++) {
        const line = [];
        for (const id of active) {
          const result = await once(id);
          runs[id].push(result);
          const first = workload.metrics[0];
          line.push(`${id} ${fmt(first.value(result, workload.params), first.unit)}`);
        }
        log(`bench:   ${rep + 1}/${reps}  ${line.join('  ')}`);
      }
      const metrics = workload.metrics.map((metric) => {
        const stats = Object.fromEntries(
          active.map((id) => [id, summarize(metric, runs[id].map((r) => metric.value(r, workload.params)), runs[id])]),
        );
        for (const id of active) {
          stats[id].vsRaw = speed(metric, stats[id].median, stats['raw-js'].median);
          if (stats['gloo-net'] && id !== 'gloo-net') stats[id].vsGloo = speed(metric, stats[id].median, stats['gloo-net'].median);
        }
        return { key: metric.key, label: metric.label, unit: metric.unit, better: metric.better, clients: stats };
      });
      const extra = workload.id === 'backpressure' ? { maxBuffered: Object.fromEntries(active.map((id) => [id, Math.max(...runs[id].map((r) => r.maxBuffered))])) } : {};
      results.workloads.push({ id: workload.id, title: workload.title, params: workload.params, metrics, na, ...extra });
    }
    await page.close();

    if (wanted('slowreader')) {
      log(`bench: slowreader: ${SLOW_READER.params.count} × ${SLOW_READER.params.bytes} B flooded at a reader taking one every ${SLOW_READER.params.delayMs} ms`);
      const slowPage = await openPage(browser, pageUrl);
      const tag = `bench-slow-${Date.now()}`;
      const runs = [];
      for (const client of Object.keys(SLOW_READER.clients)) {
        const run = await evaluate(
          slowPage.page,
          `slowreader ${client}`,
          ([base, c, p]) => window.bench.slowReader(base, c, p),
          [echoUrl, client, { ...SLOW_READER.params, tag }],
        );
        log(`bench:   ${client}: ${(run.ms / 1000).toFixed(1)} s, ${run.lost} lost, JS heap +${(run.heapPeakBytes / 2 ** 20).toFixed(1)} MiB, Wasm +${(run.wasmGrowthBytes / 2 ** 20).toFixed(1)} MiB, server ${run.serverMs} ms`);
        runs.push(run);
      }
      errors.push(...slowPage.errors);
      await slowPage.page.close();
      results.slowReader = { params: SLOW_READER.params, runs };
    }

    if (wanted('memory')) {
      log(`bench: memory: ${cycles.toLocaleString('en-US')} connect/close cycles with browser-ws's async API`);
      const memoryPage = await openPage(browser, `${pageUrl}?mode=memory`);
      const tag = `bench-memory-${Date.now()}`;
      results.memory = await evaluate(
        memoryPage.page,
        'memory',
        ([base, p]) => window.bench.memory(base, p),
        [echoUrl, { warmup: 300, cycles, tag }],
        900_000,
      );
      results.memory.cyclesPerSecond = cycles / (results.memory.ms / 1000);
      errors.push(...memoryPage.errors);
      await memoryPage.page.close();
    }

    if (wanted('size')) {
      log('bench: size: the minimal echo app, five ways');
      const apps = await sizes();
      const sizePage = await openPage(browser, pageUrl);
      for (const app of apps) {
        app.reply = await evaluate(sizePage.page, `size ${app.id}`, ([name, base]) => window.bench.sizeApp(name, base), [app.id, echoUrl]);
        if (app.reply !== 'hello') throw new Error(`the ${app.id} echo app answered ${JSON.stringify(app.reply)}, not "hello"`);
      }
      errors.push(...sizePage.errors);
      await sizePage.page.close();
      results.size = { goalBytes: SIZE_GOAL, apps, npm: { goalBytes: NPM_SIZE_GOAL, ...(await packageSize()) } };
    }

    if (errors.length) throw new Error(`errors on the page:\n  ${errors.join('\n  ')}`);
    results.goals = goals(results);
    results.seconds = (Date.now() - started) / 1000;

    await mkdir(benchDir, { recursive: true });
    await writeFile(path.join(benchDir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(path.join(benchDir, 'results.md'), `${markdown(results)}\n`);
    if (results.workloads.length) await writeFile(path.join(benchDir, 'bench.svg'), chart(results));

    const m = results.machine;
    console.log(`browser-ws benchmarks — ${m.chromium}, ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}`);
    console.log(`${m.rustc}; ${m.wasmBindgen}; ${m.wasmOpt}; echo-server ${m.echoServer}; ${reps} interleaved runs per client, median`);
    console.log(tableText(results));
    if (results.size) {
      console.log('\nMinimal echo app (Wasm + JS glue, gzip -9)');
      for (const app of results.size.apps) {
        console.log(`    ${pad(app.label, 42)}${padLeft(`${app.gzipBytes.toLocaleString('en-US')} B`, 11)}   (Wasm ${app.wasmBytes.toLocaleString('en-US')} B, JS ${app.jsBytes.toLocaleString('en-US')} B)`);
      }
      const npm = results.size.npm;
      console.log(`npm package as published (Wasm, JS glue and snippets, gzip -9): ${npm.gzipBytes.toLocaleString('en-US')} B   (Wasm ${npm.wasmGzipBytes.toLocaleString('en-US')} B, JS ${npm.jsGzipBytes.toLocaleString('en-US')} B gzipped)`);
    }
    if (results.memory) {
      const mem = results.memory;
      console.log(`\nMemory: ${mem.cycles.toLocaleString('en-US')} connect/close cycles (${mem.cyclesPerSecond.toFixed(0)}/s), then forced GC`);
      console.log(`    Wasm memory ${mem.before.wasmMemoryBytes} -> ${mem.after.wasmMemoryBytes} B; listeners ${mem.before.listeners} -> ${mem.after.listeners}; live WebSockets ${mem.before.liveSockets} -> ${mem.after.liveSockets}; open at the server ${mem.server.open} of ${mem.server.total}`);
    }
    printGoals(results);
    console.log(`\nbench: ${results.seconds.toFixed(0)} s in the browser; wrote ${path.relative(root, benchDir)}/results.json, results.md, bench.svg`);
  } finally {
    await browser.close();
    server.close();
    server.closeAllConnections();
  }
}

/** Prints the table and writes results.md and bench.svg from results.json, without running anything. */
async function render(file) {
  const results = JSON.parse(await readFile(file, 'utf8'));
  const dir = path.dirname(path.resolve(file));
  await writeFile(path.join(dir, 'results.md'), `${markdown(results)}\n`);
  await writeFile(path.join(dir, 'bench.svg'), chart(results));
  results.goals = goals(results);
  await writeFile(path.resolve(file), `${JSON.stringify(results, null, 2)}\n`);
  console.log(tableText(results));
  printGoals(results);
}

const run = process.argv[2] === '--render' ? render(process.argv[3]) : main();
run.catch((error) => {
  console.error(`bench: ${error.stack || error}`);
  process.exit(1);
});
