// Serves files for the end-to-end tests and the benchmark: one place for the MIME types and the check that a
// request cannot reach outside the folder it is served from.
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.ts': 'text/plain',
};

/** Answers with `base/relative` (403 outside `base`, 404 when missing), never cached, plus `headers`. */
export async function sendFile(response, base, relative, headers = {}) {
  const file = path.join(base, relative);
  if (!file.startsWith(base + path.sep)) {
    response.writeHead(403).end();
    return;
  }
  try {
    const body = await readFile(file);
    const type = MIME[path.extname(file)] ?? 'application/octet-stream';
    response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', ...headers }).end(body);
  } catch {
    response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  }
}
