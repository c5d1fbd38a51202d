// Sizes as a front end ships them: the bytes of Wasm and JS files, and of each gzipped at level 9. One
// definition for `cargo xtask bench` (tools/bench/run.mjs) and the size budget test (tools/e2e/size-budget.test.mjs).

import { readFile } from 'node:fs/promises';
import zlib from 'node:zlib';

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
