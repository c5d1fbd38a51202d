// The other esbuild way (`bundle`, `format: "esm"`, which keeps `import.meta.url`): no loader; the build copies
// node_modules/browser-ws/browser_ws_bg.wasm beside the bundle, where the glue's
// `new URL("browser_ws_bg.wasm", import.meta.url)` finds it, so `init()` needs no argument.
import init, { WebSocketClient } from 'browser-ws';
import { echoOnce } from '../echo.js';

echoOnce(() => init(), WebSocketClient);
