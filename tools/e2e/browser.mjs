// The browser an end-to-end test drives, behind one small page interface, so that each test is written once and
// runs in Chromium (Playwright, tools/chromium.mjs) and in WebKit (plain W3C WebDriver, tools/webkit.mjs).
//
// Environment:
//   BROWSER_WS_E2E_BROWSER   `chromium` [default] or `webkit`
//
// What each engine can observe differs in one way: Playwright sees console errors and uncaught errors from the
// first moment, through the DevTools protocol; WebDriver cannot add a script before the page's own, so in WebKit
// the tests' page servers put the probe below (PROBE_PATH) first in each HTML page they serve (a same-origin
// script, which the demo's CSP allows), and `goto` adds it after the load to a page served by someone else.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { launchChromium } from '../chromium.mjs';
import { MIME, sendFile } from '../static.mjs';
import { ENTER, WebKitSession } from '../webkit.mjs';

export const ENGINE = process.env.BROWSER_WS_E2E_BROWSER || 'chromium';
if (!['chromium', 'webkit'].includes(ENGINE)) {
  throw new Error(`BROWSER_WS_E2E_BROWSER must be chromium or webkit, not ${ENGINE}`);
}

/** Where the tests' page servers serve the probe, and the script that refers to it. */
export const PROBE_PATH = '/__e2e-probe.js';
const PROBE_TAG = `<script src="${PROBE_PATH}"></script>`;

/**
 * Records in the page what Playwright's events report in Chromium: uncaught errors and unhandled rejections,
 * `console.error` calls, and CSP violations. Runs once per page however often it is added.
 */
function installProbe() {
  if (window.__e2e) return;
  const e2e = { errors: [], consoleErrors: [], cspViolations: [] };
  window.__e2e = e2e;
  window.addEventListener('error', (event) => e2e.errors.push(event.message));
  window.addEventListener('unhandledrejection', (event) =>
    e2e.errors.push(`unhandled rejection: ${event.reason && event.reason.message || event.reason}`));
  const original = console.error.bind(console);
  console.error = (...args) => {
    e2e.consoleErrors.push(args.map(String).join(' '));
    original(...args);
  };
  document.addEventListener('securitypolicyviolation', (event) => {
    e2e.cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'}`);
  });
}

/** The probe as served at PROBE_PATH. */
export const PROBE_SCRIPT = `(${installProbe})();\n`;

/** An HTML page as the test's server sends it: in WebKit with the probe first in `<head>`. */
export function withProbe(html) {
  if (ENGINE !== 'webkit') return html;
  const head = /<head[^>]*>/i.exec(html);
  if (!head) return `${PROBE_TAG}${html}`;
  const at = head.index + head[0].length;
  return `${html.slice(0, at)}${PROBE_TAG}${html.slice(at)}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` (async, truthy when done) every 25 ms; fails with `what` after `timeout` ms. */
export async function waitUntil(what, check, timeout = 15_000) {
  const started = Date.now();
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() - started > timeout) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** Opens the engine's browser with one page of `viewport` size. */
export async function openPage({ viewport = { width: 1280, height: 900 }, chromiumArgs = [] } = {}) {
  return ENGINE === 'webkit' ? WebKitPage.open(viewport) : ChromiumPage.open(viewport, chromiumArgs);
}

/** What both pages have: the DOM queries, written once as scripts run in the page. */
class Page {
  text(selector) {
    return this.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);
  }

  count(selector) {
    return this.evaluate((s) => document.querySelectorAll(s).length, selector);
  }

  /** How many elements that `selector` finds contain `text`. */
  countWithText(selector, text) {
    return this.evaluate(
      ([s, t]) => [...document.querySelectorAll(s)].filter((e) => e.textContent.includes(t)).length,
      [selector, text],
    );
  }

  /** Waits until an element that `selector` finds contains `text`. */
  waitForText(selector, text, timeout) {
    return waitUntil(
      `${selector} containing ${JSON.stringify(text)}`,
      async () => (await this.countWithText(selector, text)) > 0,
      timeout,
    );
  }

  /** Waits until `fn(arg)`, run in the page, is truthy. */
  waitForFunction(fn, arg, timeout) {
    return waitUntil(`${fn} in the page`, () => this.evaluate(fn, arg), timeout);
  }

  /** The element's box in the viewport, scrolled into view first so that pointer actions can reach it. */
  boundingBox(selector) {
    return this.evaluate((s) => {
      const element = document.querySelector(s);
      element.scrollIntoView({ block: 'center' });
      const { x, y, width, height } = element.getBoundingClientRect();
      return { x, y, width, height };
    }, selector);
  }

  /** A click at viewport coordinates. */
  clickAt(x, y) {
    return this.mouse([{ type: 'pointerMove', x, y }, { type: 'pointerDown' }, { type: 'pointerUp' }]);
  }
}

class ChromiumPage extends Page {
  static async open(viewport, args) {
    const browser = await launchChromium(args);
    const page = await browser.newPage({ viewport });
    return new ChromiumPage(browser, page);
  }

  constructor(browser, page) {
    super();
    this.browser = browser;
    this.page = page;
    this.name = `Chromium ${browser.version()}`;
    this.pageErrors = [];
    this.consoleMessages = [];
    page.on('pageerror', (error) => this.pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') this.consoleMessages.push(message.text());
    });
    this.ready = page.addInitScript(installProbe);
  }

  async goto(url) {
    await this.ready;
    return (await this.page.goto(url)).status();
  }

  evaluate(fn, arg) {
    return this.page.evaluate(fn, arg);
  }

  value(selector) {
    return this.page.inputValue(selector);
  }

  attribute(selector, name) {
    return this.page.getAttribute(selector, name);
  }

  fill(selector, value) {
    return this.page.fill(selector, value);
  }

  click(selector) {
    return this.page.click(selector);
  }

  pressEnter(selector) {
    return this.page.press(selector, 'Enter');
  }

  isEnabled(selector) {
    return this.page.isEnabled(selector);
  }

  isVisible(selector) {
    return this.page.isVisible(selector);
  }

  async mouse(steps) {
    for (const step of steps) {
      if (step.type === 'pointerMove') await this.page.mouse.move(step.x, step.y);
      else if (step.type === 'pointerDown') await this.page.mouse.down();
      else await this.page.mouse.up();
    }
  }

  errors() {
    return this.pageErrors;
  }

  consoleErrors() {
    return this.consoleMessages;
  }

  cspViolations() {
    return this.evaluate(() => window.__e2e.cspViolations);
  }

  screenshot(path) {
    return this.page.screenshot({ path, fullPage: true });
  }

  close() {
    return this.browser.close();
  }
}

class WebKitPage extends Page {
  static async open(viewport) {
    const session = await WebKitSession.start();
    const page = new WebKitPage(session);
    try {
      await session.setWindowSize(viewport.width, viewport.height);
    } catch (error) {
      await session.close();
      throw error;
    }
    return page;
  }

  constructor(session) {
    super();
    this.session = session;
    this.name = session.version;
  }

  /** Loads `url`; resolves to the HTTP status of the page, as the browser's navigation timing reports it. */
  async goto(url) {
    await this.session.navigate(url);
    await this.evaluate(installProbe);
    return this.evaluate(async () => {
      const [navigation] = performance.getEntriesByType('navigation');
      if (navigation && navigation.responseStatus) return navigation.responseStatus;
      return (await fetch(location.href, { cache: 'no-store' })).status;
    });
  }

  evaluate(fn, arg) {
    return this.session.evaluate(fn, arg);
  }

  value(selector) {
    return this.evaluate((s) => document.querySelector(s).value, selector);
  }

  attribute(selector, name) {
    return this.evaluate(([s, n]) => document.querySelector(s).getAttribute(n), [selector, name]);
  }

  /**
   * Replaces the value of a field. Text fields get real key events (WebDriver's Element Clear and Send Keys);
   * fields that take no typing (colour, range) get the value and an `input` and a `change` event, which is what
   * Playwright's `fill` does for them.
   */
  async fill(selector, value) {
    const typeable = await this.evaluate(
      (s) => ['text', 'number', 'search', 'url', 'email', 'password', ''].includes(document.querySelector(s).type ?? ''),
      selector,
    );
    if (typeable) {
      await this.session.clear(selector);
      await this.session.type(selector, value);
    } else {
      await this.evaluate(([s, v]) => {
        const input = document.querySelector(s);
        input.value = v;
        input.dispatchEvent(new Event('input', { bubbles: true }));
        input.dispatchEvent(new Event('change', { bubbles: true }));
      }, [selector, value]);
    }
  }

  click(selector) {
    return this.session.click(selector);
  }

  pressEnter(selector) {
    return this.session.type(selector, ENTER);
  }

  isEnabled(selector) {
    return this.evaluate((s) => !document.querySelector(s).disabled, selector);
  }

  /** Playwright's rule: a non-empty box and not `visibility: hidden`. */
  isVisible(selector) {
    return this.evaluate((s) => {
      const element = document.querySelector(s);
      if (!element) return false;
      const box = element.getBoundingClientRect();
      return box.width > 0 && box.height > 0 && getComputedStyle(element).visibility !== 'hidden';
    }, selector);
  }

  mouse(steps) {
    return this.session.mouse(steps);
  }

  errors() {
    return this.evaluate(() => window.__e2e.errors);
  }

  consoleErrors() {
    return this.evaluate(() => window.__e2e.consoleErrors);
  }

  cspViolations() {
    return this.evaluate(() => window.__e2e.cspViolations);
  }

  /** WebDriver takes the viewport only, not the whole page. */
  async screenshot(path) {
    await writeFile(path, await this.session.screenshot());
  }

  close() {
    return this.session.close();
  }
}

/**
 * Answers a test server's request for `base/relative` as `sendFile` does, but serves the probe at PROBE_PATH and,
 * in WebKit, HTML pages with the probe added.
 */
export async function sendPage(response, base, relative) {
  if (`/${relative}` === PROBE_PATH) {
    response.writeHead(200, { 'content-type': MIME['.js'], 'cache-control': 'no-store' }).end(PROBE_SCRIPT);
    return;
  }
  if (ENGINE !== 'webkit' || !relative.endsWith('.html')) {
    await sendFile(response, base, relative);
    return;
  }
  const file = path.join(base, relative);
  let html;
  try {
    if (!file.startsWith(base + path.sep)) throw new Error('outside');
    html = await readFile(file, 'utf8');
  } catch {
    await sendFile(response, base, relative); // the same 403 or 404
    return;
  }
  response.writeHead(200, { 'content-type': MIME['.html'], 'cache-control': 'no-store' }).end(withProbe(html));
}
