// End-to-end test of the demo page (www/, src/demo/) in headless Chromium or in WebKit, as `trunk build --release`
// makes it.
//
// Covers: the page starts under its Content-Security-Policy and connects to ws://<its own host>/echo
// ("WebSocket Status:: Socket Open", readyState 1 OPEN), which Enter in the URL field does not replace; a text
// round trip ("Server Reply:: hello") with the counters; a message that is HTML stays text and runs nothing; a painted canvas sent as a PNG Blob comes back
// pixel for pixel on the destination canvas, in `blob` and in `arraybuffer` mode, and the last of eight sent in a
// row (the caption counts any it replaced before they were drawn); a close code a client may not
// send is refused with the crate's error, leaving the socket open; Disconnect shows "Socket Closed" with code
// 1000 and disables sending with a visible reason; reconnecting works; no console error and no CSP violation
// at any point.
//
// Run it with `cargo xtask test --only demo-e2e` (Chromium) or `--only demo-e2e-webkit` (WebKit): xtask starts
// the echo server and passes its URL in BROWSER_WS_ECHO_URL; this test builds the page with Trunk into target/demo-e2e/dist and serves it with a small
// static server that forwards /echo to the echo server, so that the page reaches it on its own origin, as it
// does behind `trunk serve`'s proxy.
//
// Environment:
//   BROWSER_WS_ECHO_URL          ws://HOST:PORT of a running echo-server (required unless BROWSER_WS_DEMO_URL)
//   BROWSER_WS_DEMO_URL          test an already served page instead, e.g. http://127.0.0.1:8080/ while
//                                `cargo xtask demo` runs (then /echo goes through Trunk's proxy); nothing is built
//   BROWSER_WS_DEMO_SCREENSHOT   where to save the screenshot [default: target/demo-e2e/demo.png, or
//                                demo-webkit.png in WebKit];
//                                `BROWSER_WS_DEMO_SCREENSHOT=docs/demo.png` refreshes the README's image
//   BROWSER_WS_E2E_BROWSER       `chromium` [default] or `webkit` (tools/e2e/browser.mjs)
//   CHROMIUM                     Chromium [default: /usr/bin/chromium]; nothing is ever downloaded
//   WEBKIT_WEBDRIVER, WEBKIT_MINIBROWSER  WebKit's driver and browser (tools/webkit.mjs); DISPLAY must be set
// In WebKit the screenshot shows the viewport only (WebDriver has no full-page screenshot).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { ENGINE, openPage, sendPage } from './browser.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');
const workDir = path.join(root, 'target', 'demo-e2e');
const screenshot = path.resolve(
  root,
  process.env.BROWSER_WS_DEMO_SCREENSHOT || path.join(workDir, ENGINE === 'webkit' ? 'demo-webkit.png' : 'demo.png'),
);

/** Builds the page with Trunk (release: wasm-opt from tools/node_modules, which xtask puts first on PATH). */
function buildPage() {
  const dist = path.join(workDir, 'dist');
  const args = ['build', '--release', '--dist', dist];
  console.error(`$ trunk ${args.join(' ')}`);
  const result = spawnSync('trunk', args, {
    cwd: root,
    stdio: ['ignore', 2, 2],
    // Trunk accepts only true/false here (NO_COLOR=1 is an error).
    env: { ...process.env, NO_COLOR: 'true' },
  });
  if (result.error) throw new Error(`cannot run trunk: ${result.error.message}`);
  assert.equal(result.status, 0, 'trunk build failed');
  return dist;
}

/**
 * Serves `dist` on a free loopback port and forwards WebSocket upgrades of /echo to the echo server, byte for
 * byte. (Trunk's proxy differs: it answers the page's handshake itself, then opens its own connection to the echo
 * server; `BROWSER_WS_DEMO_URL` runs this test through it.) Resolves to the server and its base URL.
 */
async function servePage(dist, echoUrl) {
  const echo = new URL(echoUrl);
  const server = http.createServer(async (request, response) => {
    const { pathname } = new URL(request.url, 'http://localhost');
    await sendPage(response, dist, (pathname.endsWith('/') ? `${pathname}index.html` : pathname).slice(1));
  });
  server.on('upgrade', (request, socket, head) => {
    if (new URL(request.url, 'http://localhost').pathname !== '/echo') {
      socket.destroy();
      return;
    }
    const upstream = net.connect(Number(echo.port), echo.hostname, () => {
      const lines = [`${request.method} ${request.url} HTTP/1.1`];
      for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
        lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

/** The text of the element with `id`. */
const text = (page, id) => page.text(`#${id}`);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the element with `id` has exactly `expected` as its text (or matches it, for a RegExp). */
async function waitForText(page, id, expected, timeout = 15_000) {
  const matches = (actual) =>
    expected instanceof RegExp ? expected.test(actual) : actual === expected;
  const started = Date.now();
  for (;;) {
    const actual = await text(page, id);
    if (matches(actual)) return actual;
    if (Date.now() - started > timeout) {
      assert.fail(`#${id} should be ${expected}, is ${JSON.stringify(actual)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Compares the source and destination canvases pixel by pixel. */
function compareCanvases(page) {
  return page.evaluate(() => {
    const pixels = (id) => {
      const canvas = document.getElementById(id);
      return canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    };
    const source = pixels('source');
    const destination = pixels('destination');
    let differing = 0;
    let maxDifference = 0;
    for (let i = 0; i < source.length; i += 1) {
      const difference = Math.abs(source[i] - destination[i]);
      maxDifference = Math.max(maxDifference, difference);
      if (difference > 0) differing += 1;
    }
    return { length: source.length, sameLength: source.length === destination.length, differing, maxDifference };
  });
}

test('the demo page, end to end', { timeout: 300_000 }, async (t) => {
  let pageUrl = process.env.BROWSER_WS_DEMO_URL;
  let server;
  if (!pageUrl) {
    const echoUrl = process.env.BROWSER_WS_ECHO_URL;
    assert.ok(
      echoUrl,
      'set BROWSER_WS_ECHO_URL to a running echo-server (cargo xtask test --only demo-e2e does), or ' +
        'BROWSER_WS_DEMO_URL to a served demo page',
    );
    const dist = buildPage();
    ({ server, url: pageUrl } = await servePage(dist, echoUrl));
    // Registered before the browser starts: if it cannot, the server must not keep the test runner alive.
    t.after(() => {
      server.close();
      server.closeAllConnections();
    });
  }
  t.diagnostic(`page: ${pageUrl}`);

  const page = await openPage({ viewport: { width: 1280, height: 900 } });
  t.after(() => page.close());
  t.diagnostic(`browser: ${page.name}`);

  await t.test('the page connects to /echo on its own origin', async () => {
    assert.equal(await page.goto(pageUrl), 200);
    await waitForText(page, 'serverStatus', 'WebSocket Status:: Socket Open');
    assert.equal(await text(page, 'readyState'), '1 OPEN');
    const host = new URL(pageUrl).host;
    assert.equal(await page.value('#url'), `ws://${host}/echo`);
    assert.equal(await page.isEnabled('#sendText'), true);
    assert.equal(await page.isEnabled('#sendBinary'), true);
    assert.equal(await page.isVisible('#sendHint'), false);
    assert.equal(await page.isEnabled('#connect'), false);
    // Enter in the URL field does not replace the open connection, as the disabled Connect button does not.
    await page.pressEnter('#url');
    await sleep(300);
    assert.equal(await text(page, 'serverStatus'), 'WebSocket Status:: Socket Open');
    assert.equal(await page.countWithText('#eventLog .text', 'closed the previous connection'), 0);
    // The CSP is the page's own, from its meta tag, and the loader is not inline.
    const csp = await page.attribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'(;|$)/);
    assert.equal(await page.count('script:not([src])'), 0, 'no inline script');
  });

  await t.test('a text message comes back as "Server Reply:: hello"', async () => {
    await page.fill('#textmessage', 'hello');
    await page.click('#sendText');
    await waitForText(page, 'serverResponse', 'Server Reply:: hello');
    assert.equal(await text(page, 'sentMessages'), '1');
    assert.equal(await text(page, 'receivedMessages'), '1');
    assert.equal(await text(page, 'receivedBytes'), '5 B');
  });

  const attack = '<img src=x onerror="window.pwned=1">';
  await t.test('received HTML is shown as text and runs nothing', async () => {
    await page.fill('#textmessage', attack);
    await page.pressEnter('#textmessage'); // Enter sends too
    await waitForText(page, 'serverResponse', `Server Reply:: ${attack}`);
    // No element was made of it (the CSP would block its inline handler anyway: these checks are what show it).
    assert.equal(await page.count('#serverResponse *'), 0);
    assert.equal(await page.count('img'), 0);
    assert.equal(await page.countWithText('#eventLog .text', attack), 2, 'sent and received, as text');
  });

  // Paint a stroke, so that what is sent is not only the starting picture.
  const source = await page.boundingBox('#source');
  const wave = (step) => ({
    type: 'pointerMove',
    x: source.x + source.width * (0.07 + 0.022 * step),
    y: source.y + source.height * (0.3 + 0.13 * Math.sin(step / 3)),
  });
  await page.mouse([
    wave(0),
    { type: 'pointerDown' },
    ...Array.from({ length: 24 }, (_, i) => wave(i + 1)),
    { type: 'pointerUp' },
  ]);

  await t.test('the canvas, sent as a PNG Blob, is painted back pixel for pixel', async () => {
    await page.click('#sendBinary');
    await waitForText(page, 'destinationInfo', /^destination · 320×200 image from a [\d.]+ kB Blob$/);
    const result = await compareCanvases(page);
    assert.ok(result.sameLength);
    assert.equal(result.differing, 0, `${result.differing} channel values differ, by up to ${result.maxDifference}`);
    assert.equal(await text(page, 'receivedMessages'), '3');
  });

  await t.test('in arraybuffer mode the bytes are drawn the same way', async () => {
    await page.click('label[for="binaryArrayBuffer"]');
    await page.fill('#brushColor', '#a855f7');
    const box = await page.boundingBox('#source'); // again: clicks scroll the page
    await page.clickAt(box.x + box.width * 0.5, box.y + box.height * 0.5);
    await page.click('#sendBinary');
    await waitForText(page, 'destinationInfo', /^destination · 320×200 image from a [\d.]+ kB ArrayBuffer$/);
    const result = await compareCanvases(page);
    assert.equal(result.differing, 0, `${result.differing} channel values differ, by up to ${result.maxDifference}`);
    await page.click('label[for="binaryBlob"]');
  });

  await t.test('eight images in a row: the last one is drawn, and the caption counts any it replaced', async () => {
    // The page keeps one image waiting to be drawn, not a queue: one that arrives while another waits replaces
    // it. Each send encodes the canvas first (asynchronously), so here the echoes usually arrive further apart
    // than a decode takes and none is skipped; either way the last one must end up on the canvas.
    await page.evaluate(() => {
      for (let i = 0; i < 8; i += 1) document.getElementById('sendBinary').click();
    });
    await waitForText(page, 'receivedMessages', '12');
    const caption = await waitForText(
      page,
      'destinationInfo',
      /^destination · 320×200 image from a [\d.]+ kB Blob( \([1-7] earlier skipped: this one arrived before they were drawn\))?$/,
    );
    t.diagnostic(caption);
    const result = await compareCanvases(page);
    assert.equal(result.differing, 0, `${result.differing} channel values differ, by up to ${result.maxDifference}`);
  });

  await t.test('a close code a client may not send is refused before the browser sees it', async () => {
    await page.fill('#closeCode', '1001');
    await page.click('#disconnect');
    await page.waitForText('#eventLog .text', 'close code 1001 cannot be sent by a client');
    assert.equal(await text(page, 'readyState'), '1 OPEN');
    await page.fill('#closeCode', '1000');
  });

  await t.test('Disconnect closes with code 1000 and disables sending, saying why', async () => {
    await page.click('#disconnect');
    const status = await waitForText(page, 'serverStatus', /^WebSocket Status:: Socket Closed/);
    assert.match(status, /code 1000 \(Normal Closure\)/);
    assert.match(status, /reason "bye from the demo", clean/);
    assert.equal(await text(page, 'readyState'), '3 CLOSED');
    assert.equal(await page.isEnabled('#sendText'), false);
    assert.equal(await page.isEnabled('#sendBinary'), false);
    assert.equal(await page.isVisible('#sendHint'), true);
    assert.match(await text(page, 'sendHint'), /the socket is closed/);
    // Enter on a closed socket is refused with the typed error, not silently dropped.
    await page.pressEnter('#textmessage');
    await page.waitForText('#eventLog .text', 'not sent: the WebSocket is not open (state: CLOSED)');
  });

  await t.test('Connect opens a new connection', async () => {
    await page.click('#connect');
    await waitForText(page, 'serverStatus', 'WebSocket Status:: Socket Open');
    // Again, for the screenshot: the event log then shows the markup as text.
    await page.fill('#textmessage', attack);
    await page.click('#sendText');
    await waitForText(page, 'serverResponse', `Server Reply:: ${attack}`);
    await page.fill('#textmessage', 'hello');
    await page.click('#sendText');
    await waitForText(page, 'serverResponse', 'Server Reply:: hello');
    await page.click('#sendBinary');
    await waitForText(page, 'receivedMessages', '15');
  });

  await t.test('no console errors and no CSP violations', async () => {
    assert.deepEqual(await page.cspViolations(), []);
    const problems = [
      ...(await page.consoleErrors()).map((message) => `console error: ${message}`),
      ...(await page.errors()).map((message) => `uncaught: ${message}`),
    ];
    assert.deepEqual(problems, []);
  });

  await mkdir(path.dirname(screenshot), { recursive: true });
  await page.screenshot(screenshot);
  t.diagnostic(`screenshot: ${path.relative(root, screenshot)}`);
});
