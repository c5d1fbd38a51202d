// The npm package, built and used as a JS user would: `cargo xtask test --only js-package` runs this file.
//
// Covers: the package is made as `cargo xtask package` makes it (tools/npm-package.mjs: `wasm-pack build --release
// --target web -- --features js`, then the `exports` map, `module`, `sideEffects`, the npm README npm/README.md and
// the glue without its doc comments, then `npm pack`), and its package.json carries Cargo.toml's metadata and lists
// every file it needs; the glue has no doc comments and the declarations do, nor the snippets whole-line comments;
// the size of the Wasm, the glue and the snippets is within bench/size/budget.json; the tarball holds every file
// the glue imports and the npm README, not
// the crate's; the declarations have no `any` in the public API; `--target bundler` builds too, with the same API; a
// build without the `js` feature exports none of the JS API. From the tarball, installed with `npm install` into a
// scratch directory as a user installs it: a strict TypeScript consumer (tests/ts) compiles, with `moduleResolution`
// "bundler" and "nodenext"; the package imports in Node with no browser globals (server-side rendering), exposes the
// JS API and every name the npm README imports, and nothing outside its `exports` map; and one small app per bundler
// (tools/e2e/consumers: Vite, webpack 5, esbuild with its file loader or the Wasm file copied beside the bundle,
// each as the npm README says) is built by that bundler (pinned in tools/package.json), or served by the Vite dev
// server, and run in headless Chromium, where it echoes a message through the echo server.
// In headless Chromium (run with --js-flags=--expose-gc; or in WebKit, with BROWSER_WS_E2E_BROWSER=webkit: then
// only the web package is built and packed, and none of the build, tarball and bundler checks run, since the
// Chromium step has them) a plain page imports the release build from ./pkg/browser_ws.js and runs
// text, binary, Blob, events, close-code, error, iteration, disposal, DOM-parity, lifetime (`gc()`, Chromium
// only: WebKit cannot force a collection, and the case says so as a skip), hostile-argument, reconnecting, canvas
// and JSON-RPC cases (tools/e2e/js-package/cases.mjs) against the echo server, with no uncaught error.
//
// Environment:
//   BROWSER_WS_ECHO_URL      ws://HOST:PORT of a running echo-server; without it, target/debug/echo-server is
//                            built and started here
//   BROWSER_WS_REFUSED_URL   a loopback ws:// URL on which nothing listens [default: one found here]
//   BROWSER_WS_PKG_DIR       test this already built web package instead of building one (skips the build checks);
//                            the tarball tests pack it, so it must be one made by `cargo xtask package`
//                            (target/npm/pkg)
//   BROWSER_WS_E2E_BROWSER   `chromium` [default] or `webkit` (tools/e2e/browser.mjs)
//   CHROMIUM                 Chromium [default: /usr/bin/chromium]; nothing is ever downloaded
//   WEBKIT_WEBDRIVER, WEBKIT_MINIBROWSER  WebKit's driver and browser (tools/webkit.mjs); DISPLAY must be set
// wasm-pack, wasm-bindgen, and wasm-opt from tools/node_modules/.bin must come first on PATH (xtask sees to it);
// tsc comes from there too, and the bundlers are imported from tools/node_modules.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { EXPORTS_MAP, NPM_README, finishPackage, packPackage, wasmPackWeb } from '../npm-package.mjs';
import { ENGINE, openPage, sendPage } from './browser.mjs';
import { assertWithinBudget, measure, shippedFiles } from '../size.mjs';

const root = path.resolve(import.meta.dirname, '..', '..');
const pkgRoot = path.join(root, 'target', 'js-pkg');
const pageDir = path.join(import.meta.dirname, 'js-package');
const prebuilt = process.env.BROWSER_WS_PKG_DIR && path.resolve(process.env.BROWSER_WS_PKG_DIR);
const webPkg = prebuilt || path.join(pkgRoot, 'web');
/** In WebKit only the page runs here: the build checks are the Chromium step's. */
const checksBuilds = !prebuilt && ENGINE === 'chromium';
/** So are the checks of the packed tarball and its consumers (which also run on a BROWSER_WS_PKG_DIR). */
const checksTarball = ENGINE === 'chromium';
const consumersDir = path.join(import.meta.dirname, 'consumers');
const tsDir = path.join(root, 'tests', 'ts');

/** The names the JS API exports; none may appear in a build without the `js` feature. */
const EXPORTS = [
  'WebSocketClient', 'ReconnectingWebSocketClient', 'JsonRpcClient', 'MessageIterator', 'drawBlob', 'canvasToBlob',
  'isError', 'NotOpenError', 'QueueFullError',
];

/** Runs a program (from the repository root, or `cwd`), its output on stderr; fails the test if it fails. */
function run(program, args, { cwd = root } = {}) {
  console.error(`$ ${program} ${args.join(' ')}`);
  const result = spawnSync(program, args, { cwd, stdio: ['ignore', 2, 2] });
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

/** Checks a built package's package.json against Cargo.toml, and that every file it lists exists; `published`:
 * also what tools/npm-package.mjs adds (the exports map, `module`, `sideEffects`, the npm README). */
async function checkPackageJson(dir, target, { published = false } = {}) {
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
  assert.ok(existsSync(path.join(dir, 'README.md')), 'a README is in the package');
  if (published) {
    assert.equal(pkg.module, 'browser_ws.js');
    assert.deepEqual(pkg.exports, EXPORTS_MAP);
    for (const [subpath, entry] of Object.entries(pkg.exports)) {
      for (const file of typeof entry === 'string' ? [entry] : Object.values(entry)) {
        assert.ok(existsSync(path.join(dir, file)), `${file}, exported as ${subpath}, exists`);
      }
    }
    const snippets = existsSync(path.join(dir, 'snippets'));
    assert.deepEqual(pkg.sideEffects, snippets ? ['./snippets/**'] : false, 'only the snippets have side effects');
    if (snippets) assert.ok(pkg.files.includes('snippets') || pkg.files.includes('snippets/'), 'package.json lists the snippets');
    assert.equal(await readFile(path.join(dir, 'README.md'), 'utf8'), await readFile(NPM_README, 'utf8'), 'the npm README');
    // The docs are in the declarations only: the glue that pages load carries none of them.
    const docBlock = /^\s*\/\*\*$/m;
    assert.doesNotMatch(await readFile(path.join(dir, 'browser_ws.js'), 'utf8'), docBlock, 'the glue has no doc comments');
    assert.match(await readFile(path.join(dir, 'browser_ws.d.ts'), 'utf8'), docBlock, 'the declarations keep the docs');
    // Nor do the snippets carry the comments of their Rust sources.
    if (snippets) {
      for (const entry of await readdir(path.join(dir, 'snippets'), { recursive: true })) {
        if (!entry.endsWith('.js')) continue;
        const source = await readFile(path.join(dir, 'snippets', entry), 'utf8');
        assert.doesNotMatch(source, /^\s*\/\//m, `${entry} has no whole-line comments`);
      }
    }
  }
  return pkg;
}

/** The declarations of the public API: the .d.ts without wasm-bindgen's loader section (InitOutput & co.). */
async function publicDeclarations(dir) {
  const dts = await readFile(path.join(dir, 'browser_ws.d.ts'), 'utf8');
  const loader = dts.indexOf('export type InitInput');
  return loader === -1 ? dts : dts.slice(0, loader);
}

/** The packed package: the tarball and the files in it, from the first test. */
let packed;

test('the package is made as `cargo xtask package` makes it: exports, npm README, Cargo.toml metadata, packed', async () => {
  if (!prebuilt) {
    wasmPackWeb(webPkg);
    await finishPackage(webPkg);
    // Once more: finishing is idempotent, so a second run of the command publishes the same package.
    const once = await readFile(path.join(webPkg, 'package.json'), 'utf8');
    await finishPackage(webPkg);
    assert.equal(await readFile(path.join(webPkg, 'package.json'), 'utf8'), once, 'finishing twice changes nothing');
  }
  await checkPackageJson(webPkg, 'web', { published: !prebuilt || checksTarball });
  // Into target/js-pkg/, where it stays for a look after the run.
  if (checksTarball) packed = await packPackage(webPkg, pkgRoot);
});

test('the package stays within its size budget (bench/size/budget.json)', { skip: !checksBuilds }, async () => {
  await assertWithinBudget('the npm package', await measure(await shippedFiles(webPkg)), 'npmPackageGzipBytes');
});

test('the tarball holds everything the glue imports, and the npm README', { skip: !checksTarball && 'a check of the Chromium step' }, async () => {
  const { version } = await cargoPackage();
  assert.equal(path.basename(packed.tarball), `browser-ws-${version}.tgz`);
  const licenses = (await readdir(root)).filter((name) => /^LICENSE/.test(name));
  assert.ok(licenses.length > 0, 'the repository has license files');
  for (const file of ['package.json', 'README.md', 'browser_ws.js', 'browser_ws_bg.wasm', 'browser_ws.d.ts', ...licenses]) {
    assert.ok(packed.files.includes(file), `the tarball has ${file}`);
  }
  const glue = await readFile(path.join(webPkg, 'browser_ws.js'), 'utf8');
  const imported = [...glue.matchAll(/\bfrom\s+['"]\.\/([^'"]+)['"]/g)].map((m) => m[1]);
  for (const file of imported) assert.ok(packed.files.includes(file), `the tarball has ${file}, which the glue imports`);
  const dir = await installed();
  const readme = await readFile(path.join(dir, 'node_modules', 'browser-ws', 'README.md'), 'utf8');
  assert.match(readme, /^# browser-ws\n\n```sh\nnpm install browser-ws\n```\n/, 'the README starts with `npm install`');
  assert.doesNotMatch(readme, /cargo xtask|wasm-pack/, 'not the crate README');
});

/** The scratch directory of this run's tarball consumers (removed after the tests), made on first use. */
let scratchDir;
async function scratch() {
  scratchDir ??= await mkdtemp(path.join(os.tmpdir(), 'browser-ws-consumers-'));
  return scratchDir;
}
after(() => scratchDir && rm(scratchDir, { recursive: true, force: true }));

/**
 * The scratch directory with the tarball installed as a user installs it (`npm install <tarball>`, nothing from
 * the registry: the package has no dependencies) into its node_modules, and the consumers (tools/e2e/consumers,
 * tests/ts) copied beside it. Made once; resolves to the directory.
 */
let installing;
function installed() {
  installing ??= (async () => {
    assert.ok(packed, 'the package was packed');
    const dir = await scratch();
    await writeFile(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'consumers', private: true, type: 'module' })}\n`);
    run('npm', ['install', '--no-save', '--no-package-lock', '--offline', '--no-audit', '--no-fund', packed.tarball], { cwd: dir });
    await cp(consumersDir, dir, { recursive: true });
    await mkdir(path.join(dir, 'ts'));
    for (const file of ['consumer.ts', 'init.ts']) await copyFile(path.join(tsDir, file), path.join(dir, 'ts', file));
    const config = { extends: path.join(tsDir, 'tsconfig.json'), files: ['consumer.ts', 'init.ts'] };
    await writeFile(path.join(dir, 'ts', 'tsconfig.json'), `${JSON.stringify(config, null, 2)}\n`);
    return dir;
  })();
  return installing;
}

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

test('a strict TypeScript consumer compiles against the installed tarball (moduleResolution bundler and nodenext)', { skip: !checksTarball && 'a check of the Chromium step' }, async () => {
  // No `paths`: tsc finds node_modules/browser-ws and its declarations through the `exports` map, as a user's does.
  const dir = path.join(await installed(), 'ts');
  run('tsc', ['--version']);
  run('tsc', ['-p', dir]);
  run('tsc', ['-p', dir, '--module', 'nodenext', '--moduleResolution', 'nodenext']);
});

test('wasm-pack builds the package for --target bundler, with the same API', { skip: !checksBuilds }, async () => {
  // Without wasm-opt, which changes neither package.json, the glue nor the declarations checked here (about 8 s).
  const bundler = wasmPack('bundler', ['--release', '--target', 'bundler', '--no-opt'], ['--features', 'js']);
  const pkg = await checkPackageJson(bundler, 'bundler');
  assert.ok(Array.isArray(pkg.sideEffects), 'sideEffects lists the glue that must not be tree-shaken');
  const glue = await readFile(path.join(bundler, 'browser_ws.js'), 'utf8');
  assert.match(glue, /from "\.\/browser_ws_bg\.wasm"/, 'imports the Wasm module, for the bundler to load');
  const [web, bundled] = await Promise.all([publicDeclarations(webPkg), publicDeclarations(bundler)]);
  assert.equal(bundled.trim(), web.trim(), 'the same public declarations as the web build');
});

test('without the js feature, the build exports none of the JS API', { skip: !checksBuilds }, async () => {
  // Release, like this step's other builds: a debug build here would rewrite target/.../debug/libbrowser_ws.rlib
  // (a cdylib's lib has no hash in its name) while browser-tests, in the other lane, compiles its doc tests
  // against it.
  const plain = wasmPack('no-js', ['--release', '--target', 'web', '--no-pack', '--no-opt']);
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

test('the installed package imports in Node without browser globals (server-side rendering), through its exports map', { skip: !checksTarball && 'a check of the Chromium step' }, async () => {
  // Nothing runs at import that needs the browser: a page rendered on a server imports the package too. And the
  // names the npm README imports are there, the exported subpaths resolve, and nothing else can be imported.
  const dir = await installed();
  const readme = await readFile(NPM_README, 'utf8');
  const readmeNames = new Set();
  for (const [, names] of readme.matchAll(/import\s+(?:\w+\s*,\s*)?\{([^}]*)\}\s*from\s*"browser-ws"/g)) {
    for (const name of names.split(',').map((n) => n.trim()).filter(Boolean)) readmeNames.add(name);
  }
  assert.ok(readmeNames.size >= 3, `names the npm README imports: ${[...readmeNames]}`);
  const script = `import { access } from 'node:fs/promises';
for (const name of ['Blob', 'EventTarget', 'WebSocket', 'DOMException']) delete globalThis[name];
const api = await import('browser-ws');
const missing = ${JSON.stringify([...new Set([...EXPORTS, ...readmeNames])])}.filter((name) => typeof api[name] !== 'function');
if (typeof api.default !== 'function') missing.push('default (init)');
if (missing.length) throw new Error('not exported: ' + missing.join(', '));
if (!import.meta.resolve('browser-ws').endsWith('/node_modules/browser-ws/browser_ws.js')) throw new Error('main');
const { default: pkg } = await import('browser-ws/package.json', { with: { type: 'json' } });
if (pkg.name !== 'browser-ws') throw new Error('package.json: ' + pkg.name);
await access(new URL(import.meta.resolve('browser-ws/browser_ws_bg.wasm')));
try {
  await import('browser-ws/browser_ws.js');
  throw new Error('browser-ws/browser_ws.js, which the exports map does not list, was importable');
} catch (error) {
  if (error.code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED') throw error;
}
`;
  await writeFile(path.join(dir, 'ssr.mjs'), script);
  const result = spawnSync(process.execPath, ['ssr.mjs'], { cwd: dir, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
});

/** The bundlers (from tools/node_modules), each building the consumer app in `dir` into `dir`/dist as its users do. */
const BUNDLERS = {
  async vite(dir) {
    const { build } = await import('vite');
    await build({ root: dir, configFile: false, logLevel: 'warn', build: { outDir: 'dist', emptyOutDir: true } });
  },
  async webpack(dir) {
    const { default: webpack } = await import('webpack');
    const compiler = webpack({ mode: 'production', context: dir, entry: './main.js', output: { path: path.join(dir, 'dist') } });
    const stats = await new Promise((resolve, reject) => compiler.run((error, s) => (error ? reject(error) : resolve(s))));
    await new Promise((resolve) => compiler.close(resolve));
    assert.ok(!stats.hasErrors(), stats.toString('errors-only'));
    await copyFile(path.join(dir, 'index.html'), path.join(dir, 'dist', 'index.html'));
  },
  esbuild: (dir) => esbuild(dir, { loader: { '.wasm': 'file' } }),
  async 'esbuild-copy'(dir) {
    await esbuild(dir);
    const wasm = path.join(dir, '..', 'node_modules', 'browser-ws', 'browser_ws_bg.wasm');
    await copyFile(wasm, path.join(dir, 'dist', 'browser_ws_bg.wasm'));
  },
};

/** esbuild's build of the app in `dir` into `dir`/dist, with `options` (its loaders). */
async function esbuild(dir, options = {}) {
  const { build, stop } = await import('esbuild');
  try {
    await build({
      absWorkingDir: dir, entryPoints: ['main.js'], bundle: true, format: 'esm', minify: true, outdir: 'dist',
      logLevel: 'warning', ...options,
    });
  } finally {
    await stop();
  }
  await copyFile(path.join(dir, 'index.html'), path.join(dir, 'dist', 'index.html'));
}

/** Serves `dir` on a free loopback port, recording each request's path and status. */
async function serveDir(dir) {
  const requests = [];
  const server = http.createServer(async (request, response) => {
    const { pathname } = new URL(request.url, 'http://localhost');
    await sendPage(response, dir, pathname === '/' ? 'index.html' : pathname.slice(1));
    requests.push([pathname, response.statusCode]);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => {
    server.close();
    server.closeAllConnections();
  };
  return { url: `http://127.0.0.1:${server.address().port}/`, requests, close };
}

/**
 * The consumer apps: the app's directory and how it gets to a URL, as its users do it. Built ones are served from
 * their output folder, and must emit the Wasm file and load it from there; the Vite dev server serves the app.
 */
const CONSUMERS = [
  ...Object.entries(BUNDLERS).map(([name, bundle]) => ({
    name,
    app: name,
    async start(app) {
      await bundle(app);
      const dist = path.join(app, 'dist');
      const wasm = (await readdir(dist, { recursive: true })).filter((file) => file.endsWith('.wasm'));
      assert.equal(wasm.length, 1, `${name} puts the Wasm file into its output: ${wasm}`);
      const served = await serveDir(dist);
      const check = () => {
        const requests = served.requests.filter(([pathname]) => pathname.endsWith('.wasm'));
        assert.deepEqual(requests, [[`/${wasm[0].split(path.sep).join('/')}`, 200]], 'the page loads the Wasm file the bundler emitted');
      };
      return { url: served.url, check, close: served.close };
    },
  })),
  {
    name: 'vite dev server',
    app: 'vite',
    async start(app) {
      const { createServer } = await import('vite');
      const port = await freePort();
      // No configuration either: Vite 8's dependency pre-bundling rewrites the glue's `new URL(...)` to the package's
      // own .wasm file.
      const server = await createServer({
        root: app, configFile: false, logLevel: 'warn', server: { host: '127.0.0.1', port, strictPort: true },
      });
      await server.listen();
      return { url: `http://127.0.0.1:${port}/`, check: () => {}, close: () => server.close() };
    },
  },
];

test('Vite (build and dev server), webpack 5 and esbuild (both ways) apps from the tarball echo in Chromium', { skip: !checksTarball && 'a check of the Chromium step', timeout: 300_000 }, async (t) => {
  const dir = await installed();
  const echo = (await echoServerUrl()).replace(/\/$/, '');
  const page = await openPage();
  t.after(() => page.close());
  for (const { name, app, start } of CONSUMERS) {
    await t.test(name, { timeout: 120_000 }, async (c) => {
      const started = performance.now();
      const served = await start(path.join(dir, app));
      c.after(served.close);
      const ready = performance.now();
      assert.equal(await page.goto(`${served.url}?echo=${encodeURIComponent(echo)}`), 200);
      await page.waitForFunction(() => document.getElementById('status')?.textContent !== 'loading', null, 30_000);
      assert.equal(await page.text('#status'), `echoed: hello from ${app} consumer (close 1000)`);
      served.check();
      c.diagnostic(`${name}: built or started in ${Math.round(ready - started)} ms, echoed in ${Math.round(performance.now() - ready)} ms`);
    });
  }
  await t.test('no uncaught error, unhandled rejection or console error on the pages', async () => {
    assert.deepEqual(await page.errors(), []);
    assert.deepEqual(await page.consoleErrors(), []);
  });
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

/** The echo server's base URL: BROWSER_WS_ECHO_URL, or one started here (once) and stopped after the tests. */
let echoServer;
async function echoServerUrl() {
  if (process.env.BROWSER_WS_ECHO_URL) return process.env.BROWSER_WS_ECHO_URL;
  echoServer ??= startEchoServer();
  return (await echoServer).url;
}
after(async () => echoServer && (await echoServer).stop());

/** A loopback port that was free a moment ago. */
async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A loopback ws:// URL on which nothing listens. */
async function refusedUrl() {
  return `ws://127.0.0.1:${await freePort()}/`;
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
  const echoUrl = await echoServerUrl();
  const refused = process.env.BROWSER_WS_REFUSED_URL || (await refusedUrl());
  const { server, url: pageUrl } = await servePage(webPkg);
  // Registered before the browser starts: if it cannot, the server must not keep the test runner alive.
  t.after(() => {
    server.close();
    server.closeAllConnections();
  });
  t.diagnostic(`page ${pageUrl}, echo server ${echoUrl}, refused ${refused}, package ${path.relative(root, webPkg)}`);

  // `gc()` for the lifetime case (Chromium): an unreferenced open client must survive a collection, a closed one not.
  const page = await openPage({ chromiumArgs: ['--js-flags=--expose-gc'] });
  t.after(() => page.close());
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
