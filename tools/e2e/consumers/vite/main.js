// The Vite consumer: `vite build` with no configuration. Vite turns the package's
// `new URL("browser_ws_bg.wasm", import.meta.url)` into an asset of the build, so `init()` needs no argument.
import init, { WebSocketClient } from 'browser-ws';
import { echoOnce } from '../echo.js';

echoOnce(() => init(), WebSocketClient);
