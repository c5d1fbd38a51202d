// The publishable npm package: `cargo xtask package` runs this file (with wasm-pack, and wasm-opt from
// tools/node_modules/.bin, first on PATH), and tools/e2e/js-package.test.mjs imports it, so that what CI tests is
// what a maintainer publishes.
//
//   node tools/npm-package.mjs [OUT_DIR]     OUT_DIR defaults to target/npm
//
// Builds the package with `wasm-pack build --release --target web -- --features js` into OUT_DIR/pkg, then
// finishes what wasm-pack leaves undone (`finishPackage`): an `exports` map, `module` beside `main`,
// `sideEffects` that covers the snippets folder at any depth, the npm README (npm/README.md) instead of the
// crate's, the glue without the doc comments the declarations already carry and the snippets without their
// whole-line comments; then `npm pack` writes
// OUT_DIR/browser-ws-X.Y.Z.tgz, which is what `npm publish` takes.

import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const root = path.resolve(import.meta.dirname, '..');
/** The npm README, which replaces the crate README that wasm-pack copies. */
export const NPM_README = path.join(root, 'npm', 'README.md');

/** The `exports` map: the module (with its declarations), the Wasm file for bundlers that need its URL, and
 * package.json for tools that read it. Nothing else can be imported. */
export const EXPORTS_MAP = {
  '.': { types: './browser_ws.d.ts', default: './browser_ws.js' },
  './browser_ws_bg.wasm': './browser_ws_bg.wasm',
  './package.json': './package.json',
};

/** Runs a program from the repository root, its output on stderr; throws if it fails. */
function run(program, args, options = {}) {
  console.error(`$ ${program} ${args.join(' ')}`);
  const result = spawnSync(program, args, { cwd: root, stdio: ['ignore', 'pipe', 2], encoding: 'utf8', ...options });
  if (result.error) throw new Error(`cannot run ${program}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${program} ${args[0]} failed (exit status ${result.status})`);
  return result.stdout;
}

/** `wasm-pack build --release --target web -- --features js` into `dir` (the package as wasm-pack makes it). */
export function wasmPackWeb(dir) {
  process.stderr.write(run('wasm-pack', ['build', '--release', '--target', 'web', '--out-dir', dir, root, '--', '--features', 'js']));
  return dir;
}

/**
 * Turns the package wasm-pack built in `dir` into the one that is published: package.json gets the `exports`
 * map, `module` (the same file as `main`: the web target's glue is an ES module for browsers and bundlers alike)
 * and `sideEffects`; README.md becomes npm/README.md; the glue loses its doc comments, and the snippets their
 * whole-line comments. Cargo.toml's metadata (name, version, description, license, repository, keywords), which
 * wasm-pack wrote, is kept as it is. Running it twice changes nothing more.
 */
export async function finishPackage(dir) {
  const file = path.join(dir, 'package.json');
  const pkg = JSON.parse(await readFile(file, 'utf8'));
  for (const field of ['main', 'types']) {
    if (!pkg[field]) throw new Error(`wasm-pack wrote no \`${field}\` in ${file}`);
  }
  const files = new Set(pkg.files ?? []);
  // wasm-bindgen writes `inline_js` and `module = "..."` imports to snippets/<crate>-<hash>/: they ship, and they
  // count as having side effects. wasm-pack's "./snippets/*" matches only files directly in snippets/ for
  // webpack and Rollup, not the files in its subfolders, where they are.
  const snippets = existsSync(path.join(dir, 'snippets'));
  if (snippets && !files.has('snippets/')) files.add('snippets');
  files.add('README.md');
  // wasm-pack copies the crate's LICENSE-* files but lists them only when they were already there from an earlier
  // build into the same folder; npm packs an unlisted LICENSE-MIT only if it is listed.
  for (const license of (await readdir(dir)).filter((name) => /^LICENSE/i.test(name)).sort()) files.add(license);
  const { name, type, version, description, license, repository, keywords, ...rest } = pkg;
  delete rest.files;
  delete rest.main;
  delete rest.module;
  delete rest.types;
  delete rest.exports;
  delete rest.sideEffects;
  const finished = {
    name,
    type,
    version,
    description,
    license,
    repository,
    keywords,
    // Sorted: the same list whether or not wasm-pack found its LICENSE files from an earlier build.
    files: [...files].sort(),
    main: pkg.main,
    module: pkg.main,
    types: pkg.types,
    exports: EXPORTS_MAP,
    sideEffects: snippets ? ['./snippets/**'] : false,
    ...rest,
  };
  await writeFile(file, `${JSON.stringify(finished, null, 2)}\n`);
  await copyFile(NPM_README, path.join(dir, 'README.md'));
  const glue = path.join(dir, pkg.main);
  await writeFile(glue, withoutDocComments(await readFile(glue, 'utf8')));
  if (snippets) {
    for (const entry of await readdir(path.join(dir, 'snippets'), { recursive: true })) {
      if (!entry.endsWith('.js')) continue;
      const snippet = path.join(dir, 'snippets', entry);
      await writeFile(snippet, withoutLineComments(await readFile(snippet, 'utf8')));
    }
  }
  return finished;
}

/**
 * The glue without the doc comments wasm-bindgen copies into it from the Rust docs: the declarations
 * (`browser_ws.d.ts`), which editors and TypeScript read, keep them, and in the `.js` they were 5.9 KB of the
 * glue's 15.3 KB gzipped, fetched by every page that loads the package unbundled. Only whole blocks in wasm-bindgen's
 * layout go (an opening line, lines starting with an asterisk, a closing line); anything else is left as it is.
 */
export function withoutDocComments(source) {
  const lines = source.split('\n');
  const kept = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '/**') {
      let end = i + 1;
      while (end < lines.length && /^\s*\*( |$)/.test(lines[end]) && lines[end].trim() !== '*/') end++;
      if (end < lines.length && lines[end].trim() === '*/') {
        i = end;
        continue;
      }
    }
    kept.push(lines[i]);
  }
  return kept.join('\n');
}

/**
 * A snippet (the crate's `inline_js`) without its whole-line `//` comments, which explain the code to its
 * maintainers in the Rust sources and would otherwise ship to every page (about 1.5 KB). The snippets hold no
 * template literal or multi-line string where such a line could be text.
 */
export function withoutLineComments(source) {
  return source
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('//'))
    .join('\n');
}

/**
 * `npm pack` of `dir` into `destination`; resolves to the tarball's path and the files in it (as npm lists
 * them: paths relative to the package root).
 */
export async function packPackage(dir, destination) {
  await mkdir(destination, { recursive: true });
  const out = run('npm', ['pack', dir, '--pack-destination', destination, '--json', '--ignore-scripts']);
  const [packed] = JSON.parse(out);
  return { tarball: path.join(destination, packed.filename), files: packed.files.map((f) => f.path) };
}

/** Builds, finishes and packs the package into `outDir` (pkg/ and the tarball). */
export async function makePackage(outDir) {
  const dir = path.join(outDir, 'pkg');
  await rm(dir, { recursive: true, force: true });
  wasmPackWeb(dir);
  await finishPackage(dir);
  return { dir, ...(await packPackage(dir, outDir)) };
}

if (import.meta.filename === path.resolve(process.argv[1] ?? '')) {
  const outDir = path.resolve(process.argv[2] ?? path.join(root, 'target', 'npm'));
  try {
    const { tarball, files } = await makePackage(outDir);
    console.log(`${path.relative(process.cwd(), tarball)} (${files.length} files): \`npm publish ${path.relative(process.cwd(), tarball)}\` publishes it`);
  } catch (error) {
    console.error(`npm-package: ${error.message}`);
    process.exitCode = 1;
  }
}
