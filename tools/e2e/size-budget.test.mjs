// The minimal echo app's size budget: `cargo xtask test --only size-budget` runs this file.
//
// Covers: the minimal echo app (bench/size/browser-ws: connect, send, receive, close; built as `cargo xtask
// bench` builds it: release, LTO, wasm-bindgen --target web, wasm-opt -Oz) is at most 5% over the gzipped size
// committed in bench/size/budget.json. (The npm package's budget is checked by js-package.test.mjs, on the
// package it builds.) A change that makes either smaller should lower the number there.
//
// wasm-pack, wasm-bindgen, and wasm-opt from tools/node_modules/.bin must come first on PATH (xtask sees to it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { assertWithinBudget, measure } from '../size.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');
const out = path.join(root, 'target', 'size-budget');
/** The same flags as `cargo xtask bench` (xtask/src/tools.rs, WASM_FEATURES). */
const WASM_FEATURES = ['bulk-memory', 'nontrapping-float-to-int', 'sign-ext', 'mutable-globals', 'reference-types', 'multivalue'].map((f) => `--enable-${f}`);

function run(program, args) {
  console.error(`$ ${program} ${args.join(' ')}`);
  const result = spawnSync(program, args, { cwd: root, stdio: ['ignore', 2, 2] });
  if (result.error) throw new Error(`cannot run ${program}: ${result.error.message}`);
  assert.equal(result.status, 0, `${program} ${args[0]} failed`);
}

test('the minimal echo app stays within its size budget', { timeout: 900_000 }, async () => {
  run('cargo', ['build', '--release', '--target', 'wasm32-unknown-unknown', '--package', 'bench-size-browser-ws']);
  const dir = path.join(out, 'echo-app');
  await rm(dir, { recursive: true, force: true });
  const wasm = path.join(root, 'target', 'wasm32-unknown-unknown', 'release', 'bench_size_browser_ws.wasm');
  run('wasm-bindgen', ['--target', 'web', '--no-typescript', '--out-name', 'app', '--out-dir', dir, wasm]);
  const bg = path.join(dir, 'app_bg.wasm');
  run('wasm-opt', ['-Oz', ...WASM_FEATURES, bg, '-o', bg]);
  await assertWithinBudget('the minimal echo app', await measure([bg, path.join(dir, 'app.js')]), 'echoAppGzipBytes');
});
