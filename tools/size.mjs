// Sizes as a front end ships them: the bytes of Wasm and JS files, and of each gzipped at level 9. One
// definition for `cargo xtask bench` (tools/bench/run.mjs) and the size budget test (tools/e2e/size-budget.test.mjs).

import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';

const budgetFile = path.resolve(import.meta.dirname, '..', 'bench', 'size', 'budget.json');

/**
 * What a page that loads the build in `dir` fetches: every `.wasm` and `.js` file under it (the glue and the
 * snippets it imports), not the declarations (`.d.ts`). Sorted, so the same build lists the same files.
 */
export async function shippedFiles(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && (e.name.endsWith('.wasm') || (e.name.endsWith('.js') && !e.name.endsWith('.d.ts'))))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

/** Bytes of the Wasm and the JS among `files`, and of each gzipped (-9), with their gzipped total. */
export async function measure(files) {
  const m = { wasmBytes: 0, jsBytes: 0, wasmGzipBytes: 0, jsGzipBytes: 0 };
  for (const file of files) {
    const body = await readFile(file);
    const gzipped = zlib.gzipSync(body, { level: 9 }).length;
    if (file.endsWith('.wasm')) {
      m.wasmBytes += body.length;
      m.wasmGzipBytes += gzipped;
    } else {
      m.jsBytes += body.length;
      m.jsGzipBytes += gzipped;
    }
  }
  return { ...m, gzipBytes: m.wasmGzipBytes + m.jsGzipBytes };
}

/**
 * Fails when `measured` is more than bench/size/budget.json's tolerance over its `key` (`echoAppGzipBytes`,
 * `npmPackageGzipBytes`); says by how much either way. The size budget of `cargo xtask test`.
 */
export async function assertWithinBudget(what, measured, key) {
  const budget = JSON.parse(await readFile(budgetFile, 'utf8'));
  const allowed = budget[key];
  const limit = Math.floor(allowed * (1 + budget.tolerance));
  const m = measured.gzipBytes;
  console.error(`${what}: ${m} B gzipped (Wasm ${measured.wasmGzipBytes} B, JS ${measured.jsGzipBytes} B); budget ${allowed} B, limit ${limit} B`);
  assert.ok(allowed > 0, `${what}: no ${key} in bench/size/budget.json`);
  assert.ok(m <= limit, `${what} is ${m} B gzipped, over its budget of ${allowed} B + ${budget.tolerance * 100}% (${limit} B)`);
}
