// Starts the demo's WebAssembly without an inline script, so that the page's Content-Security-Policy can
// forbid inline scripts altogether. Trunk writes the (hashed) file names of the wasm-bindgen module and of the
// Wasm binary into this script element's data attributes: see `pattern_script` in Trunk.toml.
const loader = document.querySelector('script[data-js][data-wasm]');

try {
  const { default: init } = await import(loader.dataset.js);
  // Runs the `#[wasm_bindgen(start)]` function, src/demo/mod.rs.
  await init({ module_or_path: loader.dataset.wasm });
} catch (error) {
  const status = document.getElementById('serverStatus');
  if (status) {
    status.textContent = `The demo could not start: ${error}`;
    status.className = 'status error';
  }
  throw error;
}
