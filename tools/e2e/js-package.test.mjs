// The npm package, built and used as a JS user would: `cargo xtask test --only js-package` runs this file.
//
// Covers: `wasm-pack build --release --target web -- --features js` builds the package, whose package.json
// carries Cargo.toml's metadata and lists every file it needs; the declarations have no `any` in the public
// API and a strict TypeScript consumer (tests/ts) compiles against them; `--target bundler` builds too, with
// the same API; a build without the `js` feature exports none of the JS API; the web package imports in Node with
// no browser globals (server-side rendering); and in headless Chromium (run with --js-flags=--expose-gc; or in
// WebKit, with BROWSER_WS_E2E_BROWSER=webkit: then only the web package is built, and none of the build checks
// run, since the Chromium step has them) a plain page imports the release build from ./pkg/browser_ws.js and runs
// text, binary, Blob, events, close-code, error, iteration, disposal, DOM-parity, lifetime (`gc()`, Chromium
// only: WebKit cannot force a collection, and the case says so as a skip), hostile-argument, reconnecting, canvas
// and JSON-RPC cases (tools/e2e/js-package/cases.mjs) against the echo server, with no uncaught error.
//
// Environment:
//   BROWSER_WS_ECHO_URL      ws://HOST:PORT of a running echo-server; without it, target/debug/echo-server is
//                            built and started here
//   BROWSER_WS_REFUSED_URL   a loopback ws:// URL on which nothing listens [default: one found here]
//   BROWSER_WS_PKG_DIR       test this already built web package instead of building one (skips the build checks)
//   BROWSER_WS_E2E_BROWSER   `chromium` [default] or `webkit` (tools/e2e/browser.mjs)
//   CHROMIUM                 Chromium [default: /usr/bin/chromium]; nothing is ever downloaded
//   WEBKIT_WEBDRIVER, WEBKIT_MINIBROWSER  WebKit's driver and browser (tools/webkit.mjs); DISPLAY must be set
// wasm-pack, wasm-bindgen, and wasm-opt from tools/node_modules/.bin must come first on PATH (xtask sees to it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { ENGINE, openPage, sendPage } from './browser.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');
const pkgRoot = path.join(root, 'target', 'js-pkg');
const pageDir = path.join(import.meta.dirname, 'js-package');
const prebuilt = process.env.BROWSER_WS_PKG_DIR && path.resolve(process.env.BROWSER_WS_PKG_DIR);
const webPkg = prebuilt || path.join(pkgRoot, 'web');
/** In WebKit only the page runs here: the build checks are the Chromium step's. */
const checksBuilds = !prebuilt && ENGINE === 'chromium';

/** The names the JS API exports; none may appear in a build without the `js` feature. */
const EXPORTS = [
  'WebSocketClient', 'ReconnectingWebSocketClient', 'JsonRpcClient', 'MessageIterator', 'drawBlob', 'canvasToBlob',
  'isError', 'NotOpenError', 'QueueFullError',
];

/** Runs a program from the repository root, its output on stderr; fails the test if it fails. */
function run(program, args) {
  console.error(`$ ${program} ${args.join(' ')}`);
  const result = spawnSync(program, args, { cwd: root, stdio: ['ignore', 2, 2] });
  if (result.error) throw new Error(`cannot run ${program}: ${result.error.message}`);
  assert.equal(result.status, 0, `${program} ${args[0]} failed`);
}

/** `wasm-pack build` into target/js-pkg/<dir>; `cargoArgs` go to cargo (e.g. `--features js`). */
function wasmPack(dir, wasmPackArgs, cargoArgs = []) {
  const out = path.join(pkgRoot, dir);
  run('wasm-pack', ['build', ...wasmPackArgs, '--out-dir', out, root, ...(cargoArgs.length ? ['--', ...cargoArgs] : [])]);
  return out;
}

const readJson = async (file) => JSON.parse(await readFile(file, 'utf8'));

/** The crate's version and metadata, from Cargo.toml's [package] table. */
async function cargoPackage() {
  const toml = await readFile(path.join(root, 'Cargo.toml'), 'utf8');
  const table = toml.split(/^\[package\]$/m)[1].split(/^\[/m)[0];
  const field = (name) => table.match(new RegExp(`^${name}\\s*=\\s*(.+)$`, 'm'))?.[1];
  const string = (name) => JSON.parse(field(name));
  return {
    version: string('version'),
    description: string('description'),
    license: string('license'),
    repository: string('repository'),
    keywords: JSON.parse(field('keywords')),
  };
}

/** Checks a built package's package.json against Cargo.toml, and that every file it lists exists. */
async function checkPackageJson(dir, target) {
  const pkg = await readJson(path.join(dir, 'package.json'));
  const cargo = await cargoPackage();
  assert.equal(pkg.name, 'browser-ws');
  assert.equal(pkg.version, cargo.version);
  assert.equal(pkg.description, cargo.description);
  assert.equal(pkg.license, cargo.license);
  assert.equal(pkg.repository?.url, cargo.repository);
  assert.deepEqual(pkg.keywords, cargo.keywords);
  assert.equal(pkg.type, 'module');
  assert.equal(pkg.types, 'browser_ws.d.ts');
  assert.equal(target === 'web' ? pkg.main : pkg.module ?? pkg.main, 'browser_ws.js');
  for (const file of ['browser_ws_bg.wasm', 'browser_ws.js', 'browser_ws.d.ts']) {
    assert.ok(pkg.files.includes(file), `package.json lists ${file}`);
  }
  for (const file of pkg.files) {
    assert.ok(existsSync(path.join(dir, file)), `${file}, listed in package.json, exists`);
  }
  if (existsSync(path.join(root, 'README.md'))) {
    assert.ok(existsSync(path.join(dir, 'README.md')), 'the README is copied into the package');
  }
  return pkg;
}

/** The declarations of the public API: the .d.ts without wasm-bindgen's loader section (InitOutput & co.). */
async function publicDeclarations(dir) {
  const dts = await readFile(path.join(dir, 'browser_ws.d.ts'), 'utf8');
  const loader = dts.indexOf('export type InitInput');
  return loader === -1 ? dts : dts.slice(0, loader);
}

test('wasm-pack builds the package for --target web, with Cargo.toml metadata', { skip: !!prebuilt }, async () => {
  wasmPack('web', ['--release', '--target', 'web'], ['--features', 'js']);
  await checkPackageJson(webPkg, 'web');
});

test('the declarations are precise: no `any` in the public API', { skip: !checksBuilds }, async () => {
  const api = await publicDeclarations(webPkg);
  const code = api.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const anys = code.split('\n').filter((line) => /\bany\b/.test(line));
  assert.deepEqual(anys, [], 'lines with `any`');
  for (const declaration of [
    'export class WebSocketClient',
    'static connect(url: string | URL, options?: ConnectOptions): Promise<WebSocketClient>;',
    'send(data: SendData): void;',
    'close(code?: number, reason?: string): Promise<CloseEvent>;',
    '[Symbol.asyncIterator](): MessageIterator;',
    '[Symbol.dispose](): void;',
    'readonly readyState: ReadyState;',
    'export class ReconnectingWebSocketClient',
    'send(data: SendData): SendResult;',
    'export function drawBlob(',
    'export function canvasToBlob(',
    'export function isError<N extends ErrorName>(error: unknown, name: N): error is ErrorMap[N];',
    'export class NotOpenError extends Error {',
    'static readonly OPEN: 1;',
    'dispatchEvent(event: Event): boolean;',
  ]) {
    assert.ok(api.includes(declaration), `declares ${declaration}`);
  }
});

test('a TypeScript consumer compiles with tsc --strict', { skip: !checksBuilds && 'tests/ts maps target/js-pkg/web; a Chromium check' }, () => {
  run('tsc', ['--version']);
  run('tsc', ['-p', path.join('tests', 'ts')]);
});

test('wasm-pack builds the package for --target bundler, with the same API', { skip: !checksBuilds }, async () => {
  const bundler = wasmPack('bundler', ['--release', '--target', 'bundler'], ['--features', 'js']);
  const pkg = await checkPackageJson(bundler, 'bundler');
  assert.ok(Array.isArray(pkg.sideEffects), 'sideEffects lists the glue that must not be tree-shaken');
  const glue = await readFile(path.join(bundler, 'browser_ws.js'), 'utf8');
  assert.match(glue, /from "\.\/browser_ws_bg\.wasm"/, 'imports the Wasm module, for the bundler to load');
  const [web, bundled] = await Promise.all([publicDeclarations(webPkg), publicDeclarations(bundler)]);
  assert.equal(bundled.trim(), web.trim(), 'the same public declarations as the web build');
});

test('without the js feature, the build exports none of the JS API', { skip: !checksBuilds }, async () => {
  const plain = wasmPack('no-js', ['--dev', '--target', 'web', '--no-pack']);
  const glue = await readFile(path.join(plain, 'browser_ws.js'), 'utf8');
  const dts = await readFile(path.join(plain, 'browser_ws.d.ts'), 'utf8');
  for (const name of EXPORTS) {
    assert.ok(!glue.includes(name), `${name} is absent from the glue`);
    assert.ok(!dts.includes(name), `${name} is absent from the declarations`);
  }
  // And the same check would find them in the js build.
  const withJs = await readFile(path.join(webPkg, 'browser_ws.js'), 'utf8');
  for (const name of EXPORTS) assert.ok(withJs.includes(name), `${name} is in the js build`);
});

test('the web package imports in Node without browser globals (server-side rendering)', async () => {
  // Nothing runs at import that needs the browser: a page rendered on a server imports the package too.
  const script = `for (const name of ['Blob', 'EventTarget', 'WebSocket', 'DOMException']) delete globalThis[name];
    const api = await import(${JSON.stringify(path.join(webPkg, 'browser_ws.js'))});
    for (const name of ${JSON.stringify(EXPORTS)}) if (typeof api[name] !== 'function') throw new Error(name);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
});

/** Starts target/debug/echo-server (built first) and resolves to its base URL and a stop function. */
async function startEchoServer() {
  run('cargo', ['build', '--quiet', '--package', 'echo-server']);
  const child = spawn(path.join(root, 'target', 'debug', 'echo-server'), ['--addr', '127.0.0.1:0', '--quiet'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = await readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value]);
  assert.match(line ?? '', /^ws:\/\/127\.0\.0\.1:\d+$/, 'the echo server prints its URL');
  return { url: line, stop: () => child.kill() };
}

/** A loopback ws:// URL on which nothing listens: a port that was free a moment ago. */
async function refusedUrl() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return `ws://127.0.0.1:${port}/`;
}

/** Serves the page at / and the package at /pkg/ on a free loopback port. */
async function servePage(pkgDir) {
  const server = http.createServer(async (request, response) => {
    const { pathname } = new URL(request.url, 'http://localhost');
    const [base, relative] = pathname.startsWith('/pkg/')
      ? [pkgDir, pathname.slice('/pkg/'.length)]
      : [pageDir, pathname === '/' ? 'index.html' : pathname.slice(1)];
    await sendPage(response, base, relative);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

test(`the release package works in ${ENGINE}, imported by a plain page`, { timeout: 600_000 }, async (t) => {
  let echoUrl = process.env.BROWSER_WS_ECHO_URL;
  if (!echoUrl) {
    const echo = await startEchoServer();
    t.after(echo.stop);
    echoUrl = echo.url;
  }
  const refused = process.env.BROWSER_WS_REFUSED_URL || (await refusedUrl());
  const { server, url: pageUrl } = await servePage(webPkg);
  t.diagnostic(`page ${pageUrl}, echo server ${echoUrl}, refused ${refused}, package ${path.relative(root, webPkg)}`);

  // `gc()` for the lifetime case (Chromium): an unreferenced open client must survive a collection, a closed one not.
  const page = await openPage({ chromiumArgs: ['--js-flags=--expose-gc'] });
  t.after(async () => {
    await page.close();
    server.close();
    server.closeAllConnections();
  });
  t.diagnostic(`browser: ${page.name}`);
  assert.equal(await page.goto(pageUrl), 200);
  await page.waitForFunction(() => document.getElementById('status').textContent === 'ready', null, 30_000);

  const cases = await page.evaluate(() => Object.keys(window.cases));
  assert.ok(cases.length >= 10, `${cases.length} cases`);
  for (const name of cases) {
    await t.test(name, { timeout: 60_000 }, async (c) => {
      const result = await page.evaluate(
        ([name, base, refusedUrl]) => window.cases[name](base, refusedUrl),
        [name, echoUrl.replace(/\/$/, ''), refused],
      );
      // A case that cannot run in this engine says why, and is reported as skipped, not passed.
      if (typeof result === 'string' && result.startsWith('skip: ')) return c.skip(result.slice(6));
      assert.equal(result, 'ok');
    });
  }

  await t.test('no uncaught error or unhandled rejection on the page', async () => {
    assert.deepEqual(await page.errors(), []);
  });
});
