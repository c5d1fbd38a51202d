// The webpack 5 consumer: webpack's defaults (mode "production"), no loader and no plugin. webpack turns the
// package's `new URL("browser_ws_bg.wasm", import.meta.url)` into an asset module, so `init()` needs no argument.
// The page loads the bundle as a classic script: webpack's own output format.
import init, { WebSocketClient } from 'browser-ws';
import { echoOnce } from '../echo.js';

echoOnce(() => init(), WebSocketClient);
