// The size budget: `cargo xtask test --only js-package` runs this file too.
//
// Covers: the minimal echo app (bench/size/browser-ws: connect, send, receive, close; built as `cargo xtask
// bench` builds it: release, LTO, wasm-bindgen --target web, wasm-opt -Oz) and the npm package (wasm-pack
// --release --target web, feature js: its Wasm and JS glue) are each at most 5% over the gzipped sizes
// committed in bench/size/budget.json. A change that makes either smaller should lower the number there.
//
// wasm-pack, wasm-bindgen, and wasm-opt from tools/node_modules/.bin must come first on PATH (xtask sees to it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { measure } from '../size.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');
const out = path.join(root, 'target', 'size-budget');
const budget = JSON.parse(await readFile(path.join(root, 'bench', 'size', 'budget.json'), 'utf8'));
/** The same flags as `cargo xtask bench` (xtask/src/tools.rs, WASM_FEATURES). */
const WASM_FEATURES = ['bulk-memory', 'nontrapping-float-to-int', 'sign-ext', 'mutable-globals', 'reference-types', 'multivalue'].map((f) => `--enable-${f}`);

function run(program, args) {
  console.error(`$ ${program} ${args.join(' ')}`);
  const result = spawnSync(program, args, { cwd: root, stdio: ['ignore', 2, 2] });
  if (result.error) throw new Error(`cannot run ${program}: ${result.error.message}`);
  assert.equal(result.status, 0, `${program} ${args[0]} failed`);
}

/** Fails when `measured` is more than the tolerance over `allowed`; says by how much either way. */
function withinBudget(what, measured, allowed) {
  const limit = Math.floor(allowed * (1 + budget.tolerance));
  const m = measured.gzipBytes;
  console.error(`${what}: ${m} B gzipped (Wasm ${measured.wasmGzipBytes} B, JS ${measured.jsGzipBytes} B); budget ${allowed} B, limit ${limit} B`);
  assert.ok(allowed > 0, `${what}: no budget in bench/size/budget.json`);
  assert.ok(m <= limit, `${what} is ${m} B gzipped, over its budget of ${allowed} B + ${budget.tolerance * 100}% (${limit} B)`);
}

test('the minimal echo app stays within its size budget', { timeout: 900_000 }, async () => {
  run('cargo', ['build', '--release', '--target', 'wasm32-unknown-unknown', '--package', 'bench-size-browser-ws']);
  const dir = path.join(out, 'echo-app');
  await rm(dir, { recursive: true, force: true });
  const wasm = path.join(root, 'target', 'wasm32-unknown-unknown', 'release', 'bench_size_browser_ws.wasm');
  run('wasm-bindgen', ['--target', 'web', '--no-typescript', '--out-name', 'app', '--out-dir', dir, wasm]);
  const bg = path.join(dir, 'app_bg.wasm');
  run('wasm-opt', ['-Oz', ...WASM_FEATURES, bg, '-o', bg]);
  withinBudget('the minimal echo app', await measure([bg, path.join(dir, 'app.js')]), budget.echoAppGzipBytes);
});

test('the npm package stays within its size budget', { timeout: 900_000 }, async () => {
  const dir = path.join(out, 'npm');
  run('wasm-pack', ['build', '--release', '--target', 'web', '--out-dir', dir, root, '--', '--features', 'js']);
  const files = ['browser_ws_bg.wasm', 'browser_ws.js'].map((f) => path.join(dir, f));
  withinBudget('the npm package', await measure(files), budget.npmPackageGzipBytes);
});
