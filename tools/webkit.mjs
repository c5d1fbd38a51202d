// Drives WebKit (WebKitGTK's MiniBrowser) over plain W3C WebDriver, for the pages the wasm-bindgen test runner
// does not drive: the end-to-end tests of the demo and of the npm package. Playwright cannot be used for WebKit
// here: it only drives its own patched WebKit build, which would have to be downloaded. This is a small client:
// `fetch` to WebKitWebDriver's HTTP port on loopback, one session, the commands the tests need.
//
// Environment:
//   WEBKIT_WEBDRIVER      the driver [default: /usr/bin/WebKitWebDriver] (Debian's webkit2gtk-driver)
//   WEBKIT_MINIBROWSER    the browser [default: MiniBrowser of libwebkit2gtk-4.1]
// The browser needs an X display (xtask starts Xvfb and sets DISPLAY; by hand, `xvfb-run -a`), and as root with
// WEBKIT_DISABLE_SANDBOX_THIS_IS_DANGEROUS=1 (xtask sets it when it runs as root).
import { spawn } from 'node:child_process';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';

export const WEBKIT_WEBDRIVER = process.env.WEBKIT_WEBDRIVER || '/usr/bin/WebKitWebDriver';
export const WEBKIT_MINIBROWSER =
  process.env.WEBKIT_MINIBROWSER || '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

/** The key WebDriver uses for Enter (W3C WebDriver, "keyboard actions"). */
export const ENTER = '\uE007';

/** The property under which WebDriver returns a web element reference. */
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A WebDriver error, with the driver's error code (`no such element`, `javascript error`, ...). */
export class WebDriverError extends Error {
  constructor(command, value) {
    super(`${command}: ${value?.error ?? 'error'}: ${value?.message ?? JSON.stringify(value)}`);
    this.name = 'WebDriverError';
    this.code = value?.error;
  }
}

/** One WebDriver session in a MiniBrowser started by its own WebKitWebDriver. */
export class WebKitSession {
  /** Starts the driver on a free loopback port and opens a session (a new MiniBrowser window). */
  static async start() {
    const port = await freePort();
    const driver = spawn(WEBKIT_WEBDRIVER, [`--port=${port}`, '--host=local'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let driverOutput = '';
    driver.stderr.on('data', (chunk) => {
      driverOutput = (driverOutput + chunk).slice(-4000);
    });
    const base = `http://127.0.0.1:${port}`;
    const started = Date.now();
    for (;;) {
      if (driver.exitCode !== null) throw new Error(`${WEBKIT_WEBDRIVER} exited: ${driverOutput}`);
      try {
        const status = await fetch(`${base}/status`);
        if (status.ok) break;
      } catch {
        // Not listening yet.
      }
      if (Date.now() - started > 20_000) {
        driver.kill();
        throw new Error(`${WEBKIT_WEBDRIVER} did not listen on port ${port}: ${driverOutput}`);
      }
      await delay(50);
    }
    const session = new WebKitSession(base, driver);
    try {
      const value = await session.command('POST', '/session', {
        capabilities: {
          alwaysMatch: {
            'webkitgtk:browserOptions': { binary: WEBKIT_MINIBROWSER, args: ['--automation'] },
          },
        },
      });
      session.id = value.sessionId;
      session.capabilities = value.capabilities;
    } catch (error) {
      driver.kill();
      throw new Error(`${error.message}\n${driverOutput}`);
    }
    return session;
  }

  constructor(base, driver) {
    this.base = base;
    this.driver = driver;
    this.id = null;
  }

  /** The browser's name and version, as the session reports them. */
  get version() {
    return `${this.capabilities?.browserName ?? 'WebKit'} ${this.capabilities?.browserVersion ?? ''}`.trim();
  }

  /** Sends one command; resolves to its `value`, throws a `WebDriverError` on an error response. */
  async command(method, path, body) {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const { value } = await response.json();
    if (!response.ok) throw new WebDriverError(`${method} ${path}`, value);
    return value;
  }

  /** A command on this session. */
  session(method, path, body) {
    return this.command(method, `/session/${this.id}${path}`, body);
  }

  navigate(url) {
    return this.session('POST', '/url', { url });
  }

  setWindowSize(width, height) {
    return this.session('POST', '/window/rect', { width, height });
  }

  /**
   * Runs `fn(arg)` in the page (it may return a promise) and resolves to its result, as Playwright's
   * `page.evaluate` does; an exception or rejection in the page becomes an `Error` here.
   */
  async evaluate(fn, arg) {
    const script = `const done = arguments[arguments.length - 1];
      Promise.resolve().then(() => (${fn})(arguments[0])).then(
        (value) => done({ value: value === undefined ? null : value }),
        (error) => done({ error: String(error && error.stack || error) }));`;
    const result = await this.session('POST', '/execute/async', { script, args: [arg ?? null] });
    if (result?.error) throw new Error(`in the page: ${result.error}`);
    return result?.value ?? undefined;
  }

  /** The element that `selector` (CSS) finds first; throws `no such element` otherwise. */
  async find(selector) {
    const value = await this.session('POST', '/element', { using: 'css selector', value: selector });
    return value[ELEMENT];
  }

  async click(selector) {
    await this.session('POST', `/element/${await this.find(selector)}/click`, {});
  }

  /** Types `text` into the element (WebDriver "Element Send Keys": real key events). */
  async type(selector, text) {
    await this.session('POST', `/element/${await this.find(selector)}/value`, { text });
  }

  async clear(selector) {
    await this.session('POST', `/element/${await this.find(selector)}/clear`, {});
  }

  /** Pointer actions of one mouse: `steps` are `{ type: 'pointerMove', x, y }`, `pointerDown`, `pointerUp`. */
  async mouse(steps) {
    const actions = steps.map((step) =>
      step.type === 'pointerMove'
        ? { type: 'pointerMove', duration: 0, origin: 'viewport', x: Math.round(step.x), y: Math.round(step.y) }
        : { type: step.type, button: 0 },
    );
    await this.session('POST', '/actions', {
      actions: [{ type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' }, actions }],
    });
    await this.session('DELETE', '/actions');
  }

  /** A PNG screenshot of the viewport. */
  async screenshot() {
    return Buffer.from(await this.session('GET', '/screenshot'), 'base64');
  }

  /** Ends the session (the browser quits) and the driver. */
  async close() {
    try {
      if (this.id) await this.session('DELETE', '');
    } catch {
      // The browser may be gone already; the driver is stopped below anyway.
    } finally {
      this.driver.kill();
    }
  }
}
