// The ways the npm README (npm/README.md) loads the Wasm module compile: `init()` alone (Vite, webpack 5, no
// bundler) and `init({ module_or_path })` with a URL, as esbuild's users pass it. Never run, like consumer.ts.

import init, { type InitOutput } from "browser-ws";

async function loadDefault(): Promise<InitOutput> {
  return init();
}

async function loadFrom(wasm: string): Promise<InitOutput> {
  await init({ module_or_path: wasm });
  return init({ module_or_path: new URL(wasm, import.meta.url) });
}

export { loadDefault, loadFrom };
