// The esbuild consumer (`bundle`, `format: "esm"`, `loader: { ".wasm": "file" }`). esbuild does not follow
// `new URL("browser_ws_bg.wasm", import.meta.url)`, so the Wasm file is imported through the package's exports
// map: the file loader copies it into the output and the import is its path, relative to the bundle.
import init, { WebSocketClient } from 'browser-ws';
import wasm from 'browser-ws/browser_ws_bg.wasm';
import { echoOnce } from '../echo.js';

echoOnce(() => init({ module_or_path: new URL(wasm, import.meta.url) }), WebSocketClient);
