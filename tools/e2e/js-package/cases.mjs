// The end-to-end cases of the npm package, written as a JS user writes them: they import the package built
// by wasm-pack exactly as it is published. js-package.test.mjs serves this page with the package under ./pkg/
// and runs each case in headless Chromium or in WebKit with the echo server's base URL; a case throws to fail.

import init, {
  JsonRpcClient,
  ConnectionClosedError,
  NotOpenError,
  QueueFullError,
  ReconnectingWebSocketClient,
  WebSocketClient,
  canvasToBlob,
  drawBlob,
  isError,
} from './pkg/browser_ws.js';
import * as all from './pkg/browser_ws.js';

await init();

/** Fails the case with `message` unless `condition` holds. */
function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** Fails unless `actual` equals `expected` (compared as JSON). */
function same(actual, expected, what) {
  const [a, e] = [JSON.stringify(actual), JSON.stringify(expected)];
  check(a === e, `${what}: expected ${e}, got ${a}`);
}

/** The error `action` throws (or its promise rejects with); fails if it succeeds. */
async function failure(action, what) {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error(`check failed: ${what} should have failed`);
}

/** The built-in error classes a thrown error of that name keeps. */
const builtinErrors = { TypeError, RangeError, EvalError, ReferenceError, URIError };

/**
 * Checks that `error` is a real `Error` called `name`, an instance of the class of that name where there is one
 * (the package's or a built-in), with the given properties.
 */
function isNamed(error, name, properties = {}) {
  check(error instanceof Error, `${name}: not an Error: ${error}`);
  same(error.name, name, 'error name');
  const Class = all[name] ?? builtinErrors[name];
  check(Class === undefined || error instanceof Class, `${name}: not an instance of ${name}`);
  check(typeof error.message === 'string' && error.message.length > 0, `${name} has a message`);
  for (const [key, value] of Object.entries(properties)) {
    check(Object.is(error[key], value), `${name}.${key}: expected ${value}, got ${error[key]}`);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The next `type` event `target` fires. */
const nextEvent = (target, type) => new Promise((resolve) => target.addEventListener(type, resolve, { once: true }));

/** Resolves with `promise`, or fails after `ms`. */
function within(ms, promise, what) {
  return Promise.race([
    promise,
    sleep(ms).then(() => {
      throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    }),
  ]);
}

/**
 * The next `count` messages of a client (a new iterator) or an iterator (which stays usable: a `break` out of
 * `for await` would end it, as it ends any iterator).
 */
async function take(source, count) {
  const iterator = source[Symbol.asyncIterator]();
  const messages = [];
  while (messages.length < count) {
    const { value, done } = await iterator.next();
    if (done) break;
    messages.push(value);
  }
  return messages;
}

const bytesOf = async (data) =>
  Array.from(new Uint8Array(data instanceof Blob ? await data.arrayBuffer() : data));

/** Open and total connections tagged `tag`, from the echo server's /stats route. */
async function stats(base, tag) {
  const client = await WebSocketClient.connect(`${base}/stats?tag=${tag}`);
  const [text] = await take(client, 1);
  return JSON.parse(text);
}

/** Waits until the server counts no open connection tagged `tag`. */
async function allClosed(base, tag) {
  for (let i = 0; i < 100; i += 1) {
    if ((await stats(base, tag)).open === 0) return;
    await sleep(50);
  }
  throw new Error(`connections tagged ${tag} are still open`);
}

/** Records a reconnecting client's events, as `name` or `name:detail`. */
function recordEvents(client) {
  const events = [];
  for (const type of ['connecting', 'open', 'disconnected', 'waiting', 'gaveup', 'closed']) {
    client.addEventListener(type, (event) => {
      const detail = event.detail;
      if (type === 'connecting') events.push(`connecting:${detail.attempt}`);
      else if (type === 'disconnected') {
        const { error } = detail;
        events.push(`disconnected:${error.name}${error.code === undefined ? '' : `:${error.code}`}`);
      } else events.push(type);
    });
  }
  return events;
}

window.cases = {
  /** connect() resolves once open; text goes both ways through send and for await; close resolves. */
  async text(base) {
    const client = await WebSocketClient.connect(`${base}/echo`);
    same(client.readyState, 1, 'readyState once connected');
    same(client.url, `${base}/echo`, 'url');
    same([client.protocol, client.extensions, client.binaryType], ['', '', 'blob'], 'getters (binaryType "blob", as in browsers)');
    const messages = client.messages();
    client.send('héllo');
    client.send('');
    client.send('🦀 unicode ✓');
    same(await take(messages, 3), ['héllo', '', '🦀 unicode ✓'], 'echoed text');
    same(client.bufferedAmount, 0, 'bufferedAmount');
    const close = await client.close();
    check(close instanceof CloseEvent, 'close resolves with a CloseEvent');
    same([close.code, close.reason, close.wasClean], [1000, '', true], 'a normal close');
    same(client.readyState, 3, 'readyState after close');
    check((await client.closed) === close, 'closed resolves with the same event');
    // The iterator ends after a clean close.
    same(await messages.next(), { done: true }, 'iterator after a clean close');
    // Breaking out of `for await` ends an iterator, as for any iterator.
    const other = await WebSocketClient.connect(`${base}/echo`);
    const iterator = other.messages();
    other.send('1');
    other.send('2');
    for await (const data of iterator) {
      same(data, '1', 'first');
      break;
    }
    same(await iterator.next(), { done: true }, 'ended by break');
    await other.close();
    client.free();
    return 'ok';
  },

  /** Every binary type goes out as binary and comes back byte for byte, as ArrayBuffer or Blob. */
  async binary(base) {
    const client = await WebSocketClient.connect(`${base}/echo`, { binaryType: 'arraybuffer' });
    const messages = client.messages();
    const u8 = new Uint8Array([0, 1, 2, 253, 254, 255]);
    client.send(u8);
    client.send(u8.buffer);
    // A view into the middle of a larger buffer sends only its own bytes.
    client.send(new DataView(new Uint8Array([9, 9, 7, 8, 9, 9]).buffer, 2, 2));
    client.send(new Uint16Array([0x0201, 0x0403]));
    client.send(new Blob([new Uint8Array([42, 43]), 'hi']));
    const received = await take(messages, 5);
    check(received.every((data) => data instanceof ArrayBuffer), 'binary arrives as ArrayBuffer');
    same(
      await Promise.all(received.map(bytesOf)),
      [[0, 1, 2, 253, 254, 255], [0, 1, 2, 253, 254, 255], [7, 8], [1, 2, 3, 4], [42, 43, 104, 105]],
      'echoed bytes',
    );
    client.binaryType = 'blob';
    same(client.binaryType, 'blob', 'binaryType set');
    client.send(new Uint8Array([5, 6, 7]));
    const [blob] = await take(messages, 1);
    check(blob instanceof Blob, 'binary arrives as Blob in blob mode');
    same(await bytesOf(blob), [5, 6, 7], 'Blob bytes');
    const bad = await failure(() => {
      client.binaryType = 'text';
    }, 'binaryType = "text"');
    isNamed(bad, 'TypeError');
    same(client.binaryType, 'blob', 'binaryType unchanged after a bad value');
    // A 1 MiB message, both ways.
    const big = new Uint8Array(1 << 20).map((_, i) => i % 251);
    client.send(big);
    const [echoed] = await take(messages, 1);
    same(echoed.size, big.length, 'a 1 MiB Blob');
    await client.close();
    return 'ok';
  },

  /** Events in the DOM style: the constructor, on<type> properties, addEventListener with once and signal. */
  async events(base) {
    const seen = [];
    const client = new WebSocketClient(`${base}/greet?text=welcome`, { binaryType: 'blob' });
    same(client.readyState, 0, 'readyState while connecting');
    const notOpen = await failure(() => client.send('too early'), 'send while connecting');
    isNamed(notOpen, 'NotOpenError', { readyState: 0 });
    client.onopen = (event) => seen.push(`onopen:${event.type}`);
    client.addEventListener('open', () => seen.push('open listener'));
    client.onmessage = (event) => seen.push(`onmessage:${event.data}`);
    client.addEventListener('message', (event) => seen.push(`once:${event.data}`), { once: true });
    const controller = new AbortController();
    client.addEventListener('message', () => seen.push('aborted listener'), { signal: controller.signal });
    controller.abort();
    const handlerObject = { handleEvent: (event) => seen.push(`handleEvent:${event.type}`) };
    client.addEventListener('close', handlerObject);
    const closed = new Promise((resolve) => {
      client.onclose = (event) => resolve(event);
    });
    check(typeof client.onmessage === 'function', 'onmessage reads back');
    await within(5000, nextEvent(client, 'message'), 'greeting');
    client.send('again');
    await within(5000, nextEvent(client, 'message'), 'echo');
    client.onmessage = null;
    same(client.onmessage, null, 'onmessage cleared');
    const wrong = await failure(() => {
      client.onerror = 'not a function';
    }, 'onerror = string');
    isNamed(wrong, 'TypeError');
    const wrongType = await failure(() => client.addEventListener(42, () => {}), 'addEventListener(42)');
    isNamed(wrongType, 'TypeError');
    client.close(4001, 'done');
    const close = await within(5000, closed, 'onclose');
    same([close.code, close.reason, close.wasClean], [4001, 'done', true], 'close event');
    // Read after the dispatch: the target stays, currentTarget is null (as on the DOM's events).
    check(close.target === client && close.currentTarget === null, 'event.target is the client');
    same(
      seen,
      ['onopen:open', 'open listener', 'onmessage:welcome', 'once:welcome', 'onmessage:again', 'handleEvent:close'],
      'events',
    );
    return 'ok';
  },

  /** Bad close codes and reasons are named errors thrown at once; the connection stays open. */
  async closeCodes(base) {
    const client = await WebSocketClient.connect(`${base}/echo`);
    for (const code of [1005, 1001, 999, 2999, 5000, 0, -1, 1.5, NaN, 70000, Infinity, 65536 + 1000]) {
      const error = await failure(() => client.close(code), `close(${code})`);
      isNamed(error, 'InvalidCloseCodeError', { code });
      check(isError(error, 'InvalidCloseCodeError'), 'isError recognises it');
      check(!isError(error, 'NotOpenError'), 'isError checks the name');
    }
    for (const code of ['1000', {}, 10n, true]) {
      const error = await failure(() => client.close(code), `close(${String(code)})`);
      isNamed(error, 'TypeError');
    }
    const tooLong = await failure(() => client.close(1000, 'x'.repeat(124)), 'a 124-byte reason');
    isNamed(tooLong, 'CloseReasonTooLongError', { byteLength: 124 });
    // 41 three-byte characters are 123 bytes; one more byte is too many.
    const cjk = '界'.repeat(41);
    isNamed(await failure(() => client.close(4000, `${cjk}a`), '124 UTF-8 bytes'), 'CloseReasonTooLongError', {
      byteLength: 124,
    });
    isNamed(await failure(() => client.close(4000, 42), 'a numeric reason'), 'TypeError');
    same(client.readyState, 1, 'still open after refused closes');
    client.send('still works');
    same(await take(client, 1), ['still works'], 'echo after refused closes');
    const close = await client.close(4999, cjk);
    same([close.code, close.reason, close.wasClean], [4999, cjk, true], 'close with 4999 and a 123-byte reason');
    // The server may close with any code; the client reports it as received.
    const server = await WebSocketClient.connect(`${base}/close?code=1011&reason=server%20says%20bye`);
    const byServer = await server.closed;
    same([byServer.code, byServer.reason, byServer.wasClean], [1011, 'server says bye', true], 'server close');
    return 'ok';
  },

  /** Failures are named errors: refused, invalid URL and protocols, timeouts, wrong types, unclean closes. */
  async errors(base, refusedUrl) {
    const refused = await failure(() => WebSocketClient.connect(refusedUrl), 'connect to a closed port');
    isNamed(refused, 'ConnectionClosedError', { code: 1006, wasClean: false, reason: '' });
    check(isError(refused, 'ConnectionClosedError'), 'isError');
    // (A relative URL is resolved against the page's, and a fragment is dropped, by current browsers.)
    for (const url of ['ftp://127.0.0.1/', 'ws://[::1', 'javascript:alert(1)']) {
      const error = await failure(() => WebSocketClient.connect(url), `connect(${url})`);
      isNamed(error, 'InvalidUrlError', { url });
      // The browser's own exception is the cause, as `new Error(message, { cause })` sets it.
      check(error.cause instanceof DOMException && error.cause.name === 'SyntaxError', `connect(${url}): cause ${error.cause}`);
      check(!Object.keys(error).includes('cause'), 'cause is not enumerable');
    }
    isNamed(await failure(() => new WebSocketClient('file:///'), 'new WebSocketClient("file:///")'), 'InvalidUrlError');
    const url = new URL(`${base}/echo`);
    const fromUrl = await WebSocketClient.connect(url);
    same(fromUrl.url, url.href, 'a URL object works');
    await fromUrl.close();
    isNamed(await failure(() => WebSocketClient.connect(42), 'connect(42)'), 'TypeError');
    isNamed(await failure(() => WebSocketClient.connect(`${base}/echo`, 'fast'), 'string options'), 'TypeError');
    // The DOM's `new WebSocket(url, protocols)`: an array is not read as empty options (no subprotocol offered).
    isNamed(await failure(() => new WebSocketClient(`${base}/protocol`, ['chat.v2']), 'protocols as options'), 'TypeError');
    const protocol = await failure(
      () => WebSocketClient.connect(`${base}/echo`, { protocols: ['chat', 'a b'] }),
      'an invalid subprotocol',
    );
    isNamed(protocol, 'InvalidProtocolError', { protocol: 'a b' });
    isNamed(
      await failure(() => WebSocketClient.connect(`${base}/echo`, { protocols: [1] }), 'protocols: [1]'),
      'TypeError',
    );
    const negotiated = await WebSocketClient.connect(`${base}/protocol`, { protocols: 'chat.v2' });
    same(negotiated.protocol, 'chat.v2', 'negotiated subprotocol');
    same(await take(negotiated, 1), ['chat.v2'], 'the server saw it');
    await negotiated.close();
    const started = performance.now();
    // 1001 ms: the error's `timeout` is the number given (it was 1000.9999999999999, from seconds times 1000).
    const timeout = await failure(
      () => WebSocketClient.connect(`${base}/no-handshake`, { connectTimeout: 1001 }),
      'connect to a server that never answers',
    );
    isNamed(timeout, 'ConnectTimeoutError', { timeout: 1001 });
    check(performance.now() - started < 3000, 'the timeout fired in time');
    // 0 too: a limit of 0 is over before the handshake can be.
    for (const connectTimeout of [-1, 0, NaN, Infinity, 2 ** 31]) {
      const error = await failure(
        () => WebSocketClient.connect(`${base}/echo`, { connectTimeout }),
        `connectTimeout ${connectTimeout}`,
      );
      isNamed(error, 'RangeError');
    }
    isNamed(
      await failure(() => WebSocketClient.connect(`${base}/echo`, { binaryType: 'text' }), 'binaryType text'),
      'TypeError',
    );
    // Wrong data types.
    const client = await WebSocketClient.connect(`${base}/echo`);
    for (const data of [42, null, undefined, {}, [1, 2], true]) {
      isNamed(await failure(() => client.send(data), `send(${String(data)})`), 'TypeError');
    }
    await client.close();
    const afterClose = await failure(() => client.send('late'), 'send after close');
    isNamed(afterClose, 'NotOpenError', { readyState: 3 });
    // An unclean close ends iteration with a ConnectionClosedError after the messages received before it.
    const dropped = await WebSocketClient.connect(`${base}/drop?after=2`);
    dropped.send('one');
    dropped.send('two');
    const got = [];
    const ended = await failure(async () => {
      for await (const data of dropped) got.push(data);
    }, 'iterating over a dropped connection');
    same(got, ['one', 'two'], 'messages before the drop');
    isNamed(ended, 'ConnectionClosedError', { code: 1006, wasClean: false });
    // The browser's invalid-UTF-8 failure is a close too.
    const invalid = await WebSocketClient.connect(`${base}/invalid-utf8`);
    const close = await invalid.closed;
    same([close.code, close.wasClean], [1006, false], 'invalid UTF-8 fails the connection');
    return 'ok';
  },

  /** An iterator's queue is bounded, with both overflow policies; return() stops it. */
  async iteration(base) {
    const client = await WebSocketClient.connect(`${base}/echo`);
    const failing = client.messages({ capacity: 3 });
    const dropping = client.messages({ capacity: 3, overflow: 'drop-oldest' });
    const everything = client[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i += 1) client.send(`m${i}`);
    same(await take(everything, 5), ['m0', 'm1', 'm2', 'm3', 'm4'], 'the default capacity takes all');
    same(await take(dropping, 3), ['m2', 'm3', 'm4'], 'drop-oldest keeps the latest');
    same(dropping.dropped, 2, 'dropped count');
    const got = [];
    const overflow = await failure(async () => {
      for await (const data of failing) got.push(data);
    }, 'a full queue with overflow "fail"');
    same(got, ['m0', 'm1', 'm2'], 'fail yields what was queued');
    isNamed(overflow, 'ReceiveOverflowError', { capacity: 3 });
    same(client.readyState, 1, 'the connection is not affected');
    // Waiting next() calls are resolved in order; return() ends the iterator.
    const iterator = client.messages();
    const pending = [iterator.next(), iterator.next()];
    client.send('a');
    client.send('b');
    same(await Promise.all(pending), [{ value: 'a', done: false }, { value: 'b', done: false }], 'queued next()');
    const waiting = iterator.next();
    same(await iterator.return(), { done: true }, 'return()');
    same(await waiting, { done: true }, 'a waiting next() after return()');
    isNamed(await failure(() => client.messages({ capacity: 0 }), 'capacity 0'), 'RangeError');
    isNamed(await failure(() => client.messages({ overflow: 'grow' }), 'overflow grow'), 'TypeError');
    await client.close();
    // Made after a clean close, an iterator ends at once.
    same(await client.messages().next(), { done: true }, 'an iterator made after close');
    return 'ok';
  },

  /**
   * free() and Symbol.dispose close the connection and remove every listener: no event follows. WebKit (WebKitGTK
   * 2.50) has no explicit resource management, so no `using` and no `[Symbol.dispose]` method: there the case
   * frees the client itself, and checks that the engine indeed lacks it.
   */
  async disposal(base) {
    const tag = `dispose-${Math.random().toString(36).slice(2)}`;
    const seen = [];
    const webkit = /AppleWebKit/.test(navigator.userAgent) && !/Chrome/.test(navigator.userAgent);
    same(typeof Symbol.dispose, webkit ? 'undefined' : 'symbol', 'typeof Symbol.dispose');
    const connect = () => WebSocketClient.connect(`${base}/echo?tag=${tag}`);
    const use = async (client) => {
      client.onclose = () => seen.push('close');
      client.addEventListener('message', () => seen.push('message'));
      same((await stats(base, tag)).open, 1, 'open on the server');
    };
    let escaped;
    if (typeof Symbol.dispose === 'symbol') {
      check(WebSocketClient.prototype[Symbol.dispose] === WebSocketClient.prototype.free, '[Symbol.dispose] is free');
      // Explicit resource management: the client is disposed of (freed) at the end of the block.
      const { inUsingBlock } = await import('./using.mjs');
      escaped = await inUsingBlock(connect, use);
    } else {
      escaped = await connect();
      await use(escaped);
      escaped.free();
    }
    const freed = await failure(() => escaped.send('x'), 'send after dispose');
    check(freed instanceof Error, 'a freed client throws');
    await allClosed(base, tag);
    await sleep(100);
    same(seen, [], 'no events after free');
    const other = await WebSocketClient.connect(`${base}/echo?tag=${tag}`);
    other.free();
    await allClosed(base, tag);
    return 'ok';
  },

  /** The reconnecting client: queue while not open, reconnect after failures and drops, events, close. */
  async reconnecting(base, refusedUrl) {
    let attempts = 0;
    const client = new ReconnectingWebSocketClient(refusedUrl, {
      backoff: { initialDelay: 20, maxDelay: 50, jitter: 0 },
      // Attempt 1 is refused; attempt 2 echoes two messages, then the server drops the connection; attempt 3
      // reaches /echo. The provider may answer with a string, a URL or a promise of either.
      urlProvider: (url) => {
        attempts += 1;
        if (attempts === 1) return url;
        if (attempts === 2) return `${base}/drop?after=2`;
        return Promise.resolve(new URL(`${base}/echo`));
      },
    });
    const events = recordEvents(client);
    same(client.state, 'connecting', 'initial state');
    same(client.readyState, 0, 'readyState while connecting');
    same(client.send('queued 1'), 'queued', 'send before open');
    same(client.send(new Uint8Array([1, 2])), 'queued', 'binary before open');
    const messages = client.messages();
    const [first, second] = await within(5000, take(messages, 2), 'the queued messages, echoed');
    same(first, 'queued 1', 'queued text delivered');
    same(await bytesOf(second), [1, 2], 'queued bytes delivered');
    await within(5000, nextEvent(client, 'open'), 'reopen');
    same(client.state, 'open', 'open state');
    same(client.url, `${base}/echo`, 'the provided URL');
    same(client.send('direct'), 'sent', 'send while open');
    same(await take(messages, 1), ['direct'], 'echo while open');
    await client.close(4000, 'bye');
    same(client.state, 'closed', 'state after close');
    same(client.readyState, 3, 'readyState after close');
    same(await messages.next(), { done: true }, 'iterator ends after close');
    same(
      events,
      [
        'connecting:1', 'disconnected:ConnectionClosedError:1006', 'waiting',
        'connecting:2', 'open', 'disconnected:ConnectionClosedError:1006', 'waiting',
        'connecting:3', 'open', 'disconnected:ConnectionClosedError:4000', 'closed',
      ],
      'events',
    );
    const late = await failure(() => client.send('late'), 'send after close');
    isNamed(late, 'NotOpenError', { readyState: 3, data: 'late' });
    return 'ok';
  },

  /** Options under partysocket's and reconnecting-websocket's names work as theirs do; `retryCount` counts. */
  async partysocketOptions(base, refusedUrl) {
    const client = new ReconnectingWebSocketClient(refusedUrl, {
      maxRetries: 2, // the first attempt and two retries
      minReconnectionDelay: 10,
      maxReconnectionDelay: 30,
      reconnectionDelayGrowFactor: 3,
      connectionTimeout: 2000,
      maxEnqueuedMessages: 1,
      debug: false,
    });
    const events = recordEvents(client);
    const delays = [];
    const retries = [];
    client.addEventListener('waiting', (event) => delays.push(event.detail.delay));
    client.addEventListener('connecting', () => retries.push(client.retryCount));
    const retriesWaiting = [];
    client.addEventListener('waiting', () => retriesWaiting.push(client.retryCount));
    same(client.send('one'), 'queued', 'queued while connecting');
    // A full queue throws, where partysocket would drop the message silently.
    isNamed(await failure(() => client.send('two'), 'a second message'), 'QueueFullError', { maxMessages: 1 });
    await within(5000, client.finished, 'giving up');
    same(
      events,
      [
        'connecting:1', 'disconnected:ConnectionClosedError:1006', 'waiting',
        'connecting:2', 'disconnected:ConnectionClosedError:1006', 'waiting',
        'connecting:3', 'disconnected:ConnectionClosedError:1006', 'gaveup',
      ],
      'three attempts, then gave up',
    );
    same(retries, [0, 1, 2], 'retryCount in each connecting event');
    same(retriesWaiting, [1, 2], 'retryCount while waiting counts the attempt that failed, as partysocket\'s');
    check(delays.length === 2 && delays.every((delay) => delay <= 30), `delays within maxReconnectionDelay: ${delays}`);
    same(client.takeUnsent(), ['one'], 'the queued message is handed back');
    // connectionTimeout is connectTimeout: a server that never answers the handshake times out.
    const slow = new ReconnectingWebSocketClient(`${base}/no-handshake`, { connectionTimeout: 100, maxRetries: 0 });
    const timedOut = recordEvents(slow);
    await within(5000, slow.finished, 'the timeout');
    same(timedOut, ['connecting:1', 'disconnected:ConnectTimeoutError', 'gaveup'], 'connectionTimeout');
    // partysocket's "none" values: protocols null (or a provider answering null), maxEnqueuedMessages Infinity.
    for (const protocols of [null, () => null, async () => undefined]) {
      const none = new ReconnectingWebSocketClient(`${base}/echo`, { protocols, maxEnqueuedMessages: Infinity });
      await within(5000, nextEvent(none, 'open'), `open with protocols ${protocols}`);
      same(none.protocol, '', 'no subprotocol');
      await none.close();
    }
    // As partysocket's, retryCount is 0 again once the connection has stayed up for minUptime.
    let attempts = 0;
    const flaky = new ReconnectingWebSocketClient(() => ((attempts += 1) <= 2 ? refusedUrl : `${base}/echo`), {
      minReconnectionDelay: 10,
      maxReconnectionDelay: 10,
      minUptime: 300,
    });
    await within(5000, nextEvent(flaky, 'open'), 'open');
    same(flaky.retryCount, 2, 'two failed attempts before this connection');
    await sleep(400);
    same(flaky.retryCount, 0, 'and none once it stayed up for minUptime');
    await flaky.close();
    return 'ok';
  },

  /** partysocket's controls: `startClosed`, `reconnect(code, reason)`, a protocols provider called per attempt. */
  async partysocketControl(base) {
    const tag = `control-${Math.random().toString(36).slice(2)}`;
    let calls = 0;
    const client = new ReconnectingWebSocketClient(`${base}/echo?tag=${tag}`, {
      startClosed: true,
      protocols: async () => [`token-${(calls += 1)}`],
    });
    const events = recordEvents(client);
    same([client.state, client.readyState], ['idle', 3], 'idle, and CLOSED as partysocket reports it');
    // partysocket's handler properties: onopen as there; onclose and onerror (events this client does not fire)
    // and a later binaryType are refused rather than silently ignored.
    let onopenCalls = 0;
    client.onopen = function (event) {
      onopenCalls += this === client && event.type === 'open' ? 1 : 100;
    };
    same(client.binaryType, 'blob', 'binaryType as set (the default)');
    isNamed(await failure(() => { client.binaryType = 'arraybuffer'; }, 'setting binaryType'), 'TypeError');
    same(client.binaryType, 'blob', 'binaryType unchanged');
    isNamed(await failure(() => { client.onclose = () => {}; }, 'setting onclose'), 'TypeError');
    isNamed(await failure(() => { client.onerror = () => {}; }, 'setting onerror'), 'TypeError');
    const buffers = new ReconnectingWebSocketClient(`${base}/echo`, { binaryType: 'arraybuffer', startClosed: true });
    same(buffers.binaryType, 'arraybuffer', 'binaryType from the option');
    await buffers.close();
    const targets = [];
    client.addEventListener('custom', function (event) {
      targets.push(this === client && event.target === client);
    });
    client.dispatchEvent(new Event('custom'));
    same(targets, [true], 'while idle, the client is the target and this');
    same(client.send('early'), 'queued', 'a send while idle is queued');
    await sleep(200);
    same([calls, (await stats(base, tag)).total, events], [0, 0, []], 'nothing connects while idle');
    const opened = () => nextEvent(client, 'open');
    let open = opened();
    client.reconnect();
    await within(5000, open, 'open after reconnect()');
    same(client.protocol, 'token-1', 'the provider\'s subprotocol');
    same(await within(5000, take(client, 1), 'the queued message'), ['early'], 'the queue went out');
    open = opened();
    client.reconnect(4000, 'again');
    await within(5000, open, 'open after reconnect(4000)');
    same(client.protocol, 'token-2', 'a fresh subprotocol for the new attempt');
    same(client.retryCount, 0, 'retryCount starts over');
    same(onopenCalls, 2, 'onopen is called at each open, with the client as this');
    same(
      events,
      ['connecting:1', 'open', 'disconnected:ConnectionClosedError:4000', 'connecting:1', 'open'],
      'no wait between the close and the new attempt',
    );
    isNamed(await failure(() => client.reconnect(1005), 'reconnect(1005)'), 'InvalidCloseCodeError');
    await client.close();
    isNamed(await failure(() => client.reconnect(), 'reconnect() after close()'), 'NotOpenError');
    return 'ok';
  },

  /** Nothing is dropped silently: a full queue throws with the message attached; takeUnsent gives back the rest. */
  async reconnectingQueue(base, refusedUrl) {
    const client = new ReconnectingWebSocketClient(refusedUrl, {
      maxAttempts: 2,
      maxQueuedMessages: 2,
      backoff: { initialDelay: 10, jitter: 0 },
    });
    const events = recordEvents(client);
    const data = new Uint8Array([7]);
    same(client.send('a'), 'queued', 'first');
    same(client.send(data), 'queued', 'second');
    const full = await failure(() => client.send('c'), 'a third message');
    isNamed(full, 'QueueFullError', { maxMessages: 2, data: 'c' });
    check(isError(full, 'QueueFullError'), 'isError');
    const gaveUp = await failure(async () => {
      for await (const _ of client);
    }, 'iterating a client that gives up');
    isNamed(gaveUp, 'GaveUpError');
    await client.finished;
    same(client.state, 'gaveup', 'gave up');
    same(
      events,
      [
        'connecting:1', 'disconnected:ConnectionClosedError:1006', 'waiting', 'connecting:2',
        'disconnected:ConnectionClosedError:1006', 'gaveup',
      ],
      'events',
    );
    const unsent = client.takeUnsent();
    same(unsent.length, 2, 'two unsent');
    same(unsent[0], 'a', 'unsent text');
    check(unsent[1] instanceof Uint8Array, 'unsent bytes as Uint8Array');
    same(Array.from(unsent[1]), [7], 'unsent bytes');
    same(client.takeUnsent(), [], 'taken once');
    client.free();
    return 'ok';
  },

  /** Acknowledged mode: every message arrives at least once, first arrivals in order, through a server that
   * keeps dropping; a tag that throws makes send throw, with the message handed back; a tag may read the client,
   * but a send from inside it is refused. */
  async acknowledged(base) {
    const nested = [];
    const client = new ReconnectingWebSocketClient(`${base}/drop?after=50`, {
      backoff: { initialDelay: 10, maxDelay: 10, jitter: 0 },
      acknowledgements: {
        tag: (id, data) => {
          if (data === 'bad') throw new RangeError('untaggable');
          if (data === 'nested') {
            check(typeof client.state === 'string', 'the state is readable from the tag');
            nested.push(failure(() => client.send('inner'), 'a send from inside the tag'));
          }
          return JSON.stringify({ id, data });
        },
        // The echo of a tagged message acknowledges its id.
        acknowledges: (data) => JSON.parse(data).id,
      },
    });
    let drops = 0;
    client.addEventListener('disconnected', () => { drops += 1; });
    const messages = client.messages();
    const bad = await failure(() => client.send('bad'), 'an untaggable message');
    isNamed(bad, 'RangeError', { data: 'bad' });
    client.send('nested');
    same(nested.length, 1, 'the tag ran once for "nested"');
    isNamed(await nested[0], 'InvalidStateError');
    for (let n = 1; n <= 150; n += 1) client.send(String(n));
    const firsts = [];
    const seen = new Set();
    await within(15_000, (async () => {
      while (firsts.length < 150) {
        const [echo] = await take(messages, 1);
        const { id, data } = JSON.parse(echo);
        if (data === 'nested') {
          same(id, 1, 'the refused message kept no id');
          continue;
        }
        check(id === Number(data) + 1, `id ${id} for message ${data}: one id a message, none skipped`);
        if (!seen.has(data)) {
          seen.add(data);
          firsts.push(Number(data));
        }
      }
    })(), 'all 150 messages');
    same(firsts, Array.from({ length: 150 }, (_, i) => i + 1), 'first arrivals in order');
    check(drops >= 2, `the server dropped the connection ${drops} times`);
    await client.close();
    return 'ok';
  },

  /** shouldReconnect decides; heartbeat detects a silent peer; options are checked. */
  async reconnectingPolicy(base) {
    const closes = [];
    const refusing = new ReconnectingWebSocketClient(`${base}/close?code=4400&reason=go%20away`, {
      shouldReconnect: (close) => {
        closes.push([close instanceof CloseEvent, close.code, close.reason, close.wasClean]);
        return close.code !== 4400;
      },
    });
    const refusedEvents = recordEvents(refusing);
    await within(5000, refusing.finished, 'giving up after a close not to retry');
    same(closes, [[true, 4400, 'go away', true]], 'shouldReconnect saw the close');
    same(refusedEvents, ['connecting:1', 'open', 'disconnected:ConnectionClosedError:4400', 'gaveup'], 'events');

    const silent = new ReconnectingWebSocketClient(`${base}/silent`, {
      maxAttempts: 1,
      heartbeat: { interval: 50, timeout: 100, ping: 'ping' },
    });
    const silentEvents = recordEvents(silent);
    await within(5000, silent.finished, 'the heartbeat to give up on a silent server');
    same(silentEvents, ['connecting:1', 'open', 'disconnected:HeartbeatTimeoutError', 'gaveup'], 'heartbeat events');

    const echo = new ReconnectingWebSocketClient(`${base}/echo`, {
      heartbeat: { interval: 30, timeout: 1000, ping: 'ping', isPong: (data) => data === 'ping' },
    });
    const messages = echo.messages();
    // Pings go out every 30 ms once open, and come back as pongs: a few have by the time 'real' is sent.
    await within(5000, nextEvent(echo, 'open'), 'open');
    await sleep(150);
    echo.send('real');
    same(await within(2000, take(messages, 1), 'a real message'), ['real'], 'pongs are kept out of the messages');
    await echo.close();

    for (const [options, name] of [
      [{ backoff: { factor: 0.5 } }, 'RangeError'],
      [{ backoff: { jitter: 2 } }, 'RangeError'],
      [{ backoff: 'fast' }, 'TypeError'],
      [{ maxAttempts: 0 }, 'RangeError'],
      [{ maxAttempts: 1.5 }, 'RangeError'],
      [{ maxQueuedMessages: -1 }, 'RangeError'],
      [{ heartbeat: { interval: 10 } }, 'TypeError'],
      [{ heartbeat: { interval: 0, timeout: 10 } }, 'RangeError'],
      [{ heartbeat: { interval: 10, timeout: 10, ping: 5 } }, 'TypeError'],
      [{ urlProvider: 'url' }, 'TypeError'],
      [{ shouldReconnect: true }, 'TypeError'],
      [{ retryOnOnline: 'yes' }, 'TypeError'],
      [{ minUptime: -5 }, 'RangeError'],
      // A time limit of 0 would fail every attempt.
      [{ connectTimeout: 0 }, 'RangeError'],
      [{ connectionTimeout: 0 }, 'RangeError'],
      [{ heartbeat: { interval: 10, timeout: 0 } }, 'RangeError'],
    ]) {
      const error = await failure(
        () => new ReconnectingWebSocketClient(`${base}/echo`, options),
        `options ${JSON.stringify(options)}`,
      );
      isNamed(error, name);
    }
    isNamed(await failure(() => new ReconnectingWebSocketClient(42), 'url 42'), 'TypeError');
    // partysocket's (url, protocols, options): an array second argument is refused, not read as `{}` with the
    // options after it ignored.
    isNamed(
      await failure(() => new ReconnectingWebSocketClient(`${base}/echo`, [], { maxRetries: 0 }), 'three arguments'),
      'TypeError',
    );
    isNamed(
      await failure(() => new ReconnectingWebSocketClient(() => base, { urlProvider: () => base }), 'two providers'),
      'TypeError',
    );
    const unlimited = new ReconnectingWebSocketClient(`${base}/echo`, { maxAttempts: Infinity });
    await unlimited.close(1000);
    isNamed(await failure(() => unlimited.close(1005), 'close(1005)'), 'InvalidCloseCodeError', { code: 1005 });
    return 'ok';
  },

  /** The DOM's WebSocket semantics: target and this, constants, dispatchEvent, on<type> order and identity, a message's origin. */
  async domParity(base, refusedUrl) {
    for (const Class of [WebSocketClient, ReconnectingWebSocketClient]) {
      same([Class.CONNECTING, Class.OPEN, Class.CLOSING, Class.CLOSED], [0, 1, 2, 3], `${Class.name} constants`);
    }
    const client = new WebSocketClient(`${base}/greet?text=hi`);
    same([client.CONNECTING, client.OPEN, client.CLOSING, client.CLOSED], [0, 1, 2, 3], 'constants on instances');
    same(client.binaryType, 'blob', 'binaryType defaults to "blob"');
    const seen = [];
    const shared = (event) => seen.push(`shared:${event.type}`);
    client.addEventListener('message', () => seen.push('first'));
    client.onmessage = shared;
    client.addEventListener('message', shared);
    client.addEventListener('message', function (event) {
      seen.push(`this:${this === client}:${event.target === client}:${event.currentTarget === client}`);
    });
    // Replacing the handler keeps its place; the same function added as a listener still runs on its own.
    client.onmessage = function (event) {
      seen.push(`onmessage:${this === client}:${event.data}`);
    };
    let messagePath;
    client.addEventListener('message', (event) => {
      messagePath ??= event.composedPath();
    });
    const greeted = nextEvent(client, 'message');
    const greeting = await within(5000, greeted, 'the greeting');
    same(seen, ['first', 'onmessage:true:hi', 'shared:message', 'this:true:true:true'], 'listener order, this, target');
    same(
      [messagePath.length, messagePath[0] === client, greeting.composedPath().length],
      [1, true, 0],
      'a message event\'s composedPath: the client while dispatched, then none',
    );
    // A message's origin is the server's, as the browser sets it on its own WebSocket's message events.
    const raw = new WebSocket(`${base}/greet?text=hi`);
    const rawOrigin = (await within(5000, nextEvent(raw, 'message'), 'the raw socket\'s greeting')).origin;
    raw.close();
    check(rawOrigin.startsWith('ws'), `the browser's origin: ${rawOrigin}`);
    same(greeting.origin, rawOrigin, 'a message event\'s origin');
    const reconnecting = new ReconnectingWebSocketClient(`${base}/greet?text=hi`);
    const reconnectingGreeting = await within(5000, nextEvent(reconnecting, 'message'), 'the reconnecting client\'s greeting');
    same(reconnectingGreeting.origin, rawOrigin, 'the reconnecting client\'s message origin');
    await reconnecting.close();
    // dispatchEvent reaches the same listeners with the client as target, and reports preventDefault.
    seen.length = 0;
    const custom = new Event('custom', { cancelable: true });
    client.addEventListener('custom', (event) => {
      seen.push(`custom:${event.target === client}`);
      event.preventDefault();
    });
    same(client.dispatchEvent(custom), false, 'dispatchEvent returns false when cancelled');
    same(seen, ['custom:true'], 'a dispatched event');
    // composedPath() is [client] while dispatched and [] after, as for the raw socket (never an internal target).
    const paths = [];
    for (const socket of [raw, client]) {
      let during;
      const probe = (event) => { during = event.composedPath(); };
      socket.addEventListener('path', probe);
      const event = new Event('path');
      socket.dispatchEvent(event);
      socket.removeEventListener('path', probe);
      paths.push([during.length, during[0] === socket, event.composedPath().length]);
    }
    same(paths[1], paths[0], 'composedPath as the raw socket\'s');
    same(paths[1], [1, true, 0], 'composedPath: the client, then none');
    // After the dispatch, as for the raw socket: currentTarget is null, target stays; dispatched again at an
    // element, the event's target, currentTarget and path are the element's.
    const relayed = [];
    for (const socket of [raw, client]) {
      const event = new Event('relay');
      socket.dispatchEvent(event);
      relayed.push([event.currentTarget === null, event.target === socket]);
      const element = document.createElement('div');
      element.addEventListener('relay', (again) => {
        relayed.push([again.target === element, again.currentTarget === element, again.composedPath()[0] === element]);
      });
      element.dispatchEvent(event);
    }
    same(relayed.slice(2), relayed.slice(0, 2), 'an event after its dispatch, and relayed, as the raw socket\'s');
    same(relayed.slice(2), [[true, true], [true, true, true]], 'an event after its dispatch, and relayed');
    same([greeting.target === client, greeting.currentTarget], [true, null], 'a message event after its dispatch');
    relayed.length = 0;
    const relayElement = document.createElement('div');
    relayElement.addEventListener('message', (again) => relayed.push(again.target === relayElement, again.currentTarget));
    relayElement.dispatchEvent(greeting);
    same(relayed, [true, relayElement], 'a received message event relayed');
    // An event being dispatched elsewhere is refused with InvalidStateError and left alone, as by the raw socket.
    const refusals = [];
    for (const socket of [raw, client]) {
      const element = document.createElement('div');
      element.addEventListener('poke', (event) => {
        try {
          socket.dispatchEvent(event);
          refusals.push('dispatched');
        } catch (error) {
          refusals.push(`${error.name}:${event.target === element}`);
        }
      });
      element.dispatchEvent(new Event('poke'));
    }
    same(refusals, ['InvalidStateError:true', 'InvalidStateError:true'], 'dispatchEvent of an event in dispatch');
    isNamed(await failure(() => client.dispatchEvent('custom'), 'dispatchEvent(string)'), 'TypeError');
    // The error classes are exported, real subclasses of Error; the built-in classes stay themselves.
    const errorNames = [
      'InvalidUrlError', 'InvalidProtocolError', 'SecurityError', 'InvalidCloseCodeError', 'CloseReasonTooLongError',
      'NotOpenError', 'ConnectionClosedError', 'ReceiveOverflowError', 'ConnectTimeoutError', 'ImageTooLargeError',
      'ImageTooManyPixelsError', 'ImageDecodeError', 'ImageEncodeError', 'QueueFullError', 'HeartbeatTimeoutError',
      'GaveUpError', 'EncodeError', 'DecodeError', 'RequestTimeoutError', 'TooManyRequestsError', 'UnknownReplyError',
      'RpcError',
    ];
    for (const name of errorNames) {
      const Class = all[name];
      check(typeof Class === 'function' && Object.getPrototypeOf(Class.prototype) === Error.prototype, `${name} exported`);
      same([Class.name, new Class('m').name, new Class('m') instanceof Error], [name, name, true], `${name} class`);
    }
    const refused = await failure(() => WebSocketClient.connect(refusedUrl), 'a refused connection');
    check(refused instanceof ConnectionClosedError && refused instanceof Error, 'instanceof ConnectionClosedError');
    const closedSend = await failure(() => new WebSocketClient(`${base}/echo`).send('x'), 'send while connecting');
    check(closedSend instanceof NotOpenError && !(closedSend instanceof QueueFullError), 'instanceof NotOpenError');
    check(isError(closedSend, 'NotOpenError'), 'isError still works');
    const wrongType = await failure(() => client.send(42), 'send(42)');
    check(wrongType instanceof TypeError, 'a TypeError is a TypeError');
    const tagged = new ReconnectingWebSocketClient(`${base}/echo`, {
      acknowledgements: { tag: () => 42, acknowledges: () => null },
    });
    const badTag = await failure(() => tagged.send('x'), 'a tag returning a number');
    check(badTag instanceof TypeError, `the tag's TypeError is a TypeError: ${badTag.constructor.name}`);
    const rangeTag = new ReconnectingWebSocketClient(`${base}/echo`, {
      acknowledgements: {
        tag: () => {
          throw new RangeError('too far');
        },
        acknowledges: () => null,
      },
    });
    const thrownRange = await failure(() => rangeTag.send('x'), 'a tag throwing a RangeError');
    check(thrownRange instanceof RangeError && thrownRange.message === 'too far', 'a thrown RangeError stays one');
    // The DOM's SyntaxError is a DOMException; one that JSON.parse throws in a callback is the built-in class.
    const jsonTag = new ReconnectingWebSocketClient(`${base}/echo`, {
      acknowledgements: { tag: (id, data) => JSON.parse(data), acknowledges: () => null },
    });
    const thrownSyntax = await failure(() => jsonTag.send('{'), 'a tag parsing bad JSON');
    check(thrownSyntax instanceof SyntaxError && thrownSyntax.cause instanceof SyntaxError, 'a thrown SyntaxError stays one');
    await Promise.all([tagged.close(), rangeTag.close(), jsonTag.close()]);
    // Script-dispatched events do not reach the client's own logic: readyState stays open.
    client.dispatchEvent(new CloseEvent('close', { code: 1000 }));
    same(client.readyState, WebSocketClient.OPEN, 'a fake close changes nothing');
    await client.close();
    // After the close, an event the page dispatches still has the client as its target and `this`.
    seen.length = 0;
    client.addEventListener('late', function (event) {
      seen.push(`late:${this === client}:${event.target === client}:${event.currentTarget === client}`);
    });
    client.dispatchEvent(new Event('late'));
    same(seen, ['late:true:true:true'], 'target and this after the close');
    return 'ok';
  },

  /** Lifetime as in the DOM: an unreferenced open client keeps working; a pending next() keeps its iterator; a closed
   * client is collected; free() ends all. */
  async lifetime(base) {
    // Only Chromium can be told to expose gc(); in another engine the case says it did not run.
    if (typeof gc !== 'function' && !/Chrome\//.test(navigator.userAgent)) return 'skip: this engine cannot force a garbage collection';
    check(typeof gc === 'function', 'the page runs with --js-flags=--expose-gc');
    const collectGarbage = async () => {
      for (let i = 0; i < 5; i += 1) {
        gc();
        await sleep(20);
      }
    };
    // An open client only its own handlers can reach: three round trips through a slow echo, with GCs between.
    const tag = `lifetime-${Math.random().toString(36).slice(2)}`;
    const seen = [];
    const ended = new Promise((resolve) => {
      const client = new WebSocketClient(`${base}/slow?ms=150&tag=${tag}`);
      client.onopen = function () {
        this.send('1');
      };
      client.onmessage = function (event) {
        seen.push(event.data);
        if (seen.length < 3) this.send(String(seen.length + 1));
        else this.close(4000, 'done');
      };
      client.onclose = (event) => resolve(event.code);
    });
    await collectGarbage();
    await sleep(200);
    await collectGarbage();
    same(await within(10_000, ended, 'the unreferenced client to finish'), 4000, 'closed by itself, not by GC');
    same(seen, ['1', '2', '3'], 'kept receiving after gc()');
    // The same for the reconnecting client.
    const reconnected = new Promise((resolve) => {
      const client = new ReconnectingWebSocketClient(`${base}/slow?ms=150`);
      let count = 0;
      client.addEventListener('open', function () {
        this.send('a');
      });
      client.onmessage = function () {
        count += 1;
        if (count < 3) this.send('b');
        else this.close().then(() => resolve(count));
      };
    });
    await collectGarbage();
    await sleep(200);
    await collectGarbage();
    same(await within(10_000, reconnected, 'the unreferenced reconnecting client'), 3, 'reconnecting client kept');
    // And a JsonRpcClient nobody refers to while its request waits: the reply still comes.
    const reply = (async () => (await JsonRpcClient.connect(`${base}/rpc`)).request('sleep', { ms: 300, value: 'late' }))();
    await collectGarbage();
    await sleep(100);
    await collectGarbage();
    same(await within(5000, reply, 'the reply to an unreferenced JsonRpcClient'), 'late', 'JsonRpcClient kept');
    // A one-off next() whose iterator nobody keeps: the waiting call keeps it, and gets the next message.
    for (const connect of [(url) => WebSocketClient.connect(url), (url) => new ReconnectingWebSocketClient(url)]) {
      const client = await connect(`${base}/echo`);
      const first = client.messages().next();
      await collectGarbage();
      if (client.readyState !== client.OPEN) {
        await within(5000, nextEvent(client, 'open'), 'open');
      }
      client.send('kept');
      same(await within(2000, first, 'a next() whose iterator was collected'), { value: 'kept', done: false }, 'delivered');
      await client.close();
    }

    // Closed clients are collected, even with listeners, iterators and promises that refer back to them.
    const collected = new Set();
    const registry = new FinalizationRegistry((name) => collected.add(name));
    await (async () => {
      const client = await WebSocketClient.connect(`${base}/echo`);
      client.onmessage = () => client.send('again');
      client.addEventListener('close', () => client.readyState);
      const iterator = client.messages();
      client.send('x');
      await iterator.next();
      client.closed.then(() => client.url);
      registry.register(client, 'client');
      await client.close();
      const reconnecting = new ReconnectingWebSocketClient(`${base}/echo`);
      reconnecting.onmessage = () => reconnecting.send('again');
      reconnecting.addEventListener('closed', () => reconnecting.state);
      await within(5000, new Promise((resolve) => reconnecting.addEventListener('open', resolve)), 'open');
      registry.register(reconnecting, 'reconnecting');
      await reconnecting.close();
      const rpc = await JsonRpcClient.connect(`${base}/rpc`);
      rpc.addEventListener('notification', () => rpc.pendingRequests);
      registry.register(rpc, 'rpc');
      rpc.close();
      // An idle client (startClosed) that nobody holds is collected, though its handler refers back to it.
      const idle = new ReconnectingWebSocketClient(`${base}/echo`, { startClosed: true });
      idle.onopen = () => idle.send('hello');
      registry.register(idle, 'idle');
    })();
    for (let i = 0; i < 50 && collected.size < 4; i += 1) {
      gc();
      await sleep(50);
    }
    same([...collected].sort(), ['client', 'idle', 'reconnecting', 'rpc'], 'closed and idle clients are garbage-collected');

    // free() and Symbol.dispose end what waits: next() is done, closed resolves.
    for (const dispose of [(c) => c.free(), (c) => c[Symbol.dispose]()]) {
      const client = await WebSocketClient.connect(`${base}/echo`);
      const iterator = client.messages();
      const pending = iterator.next();
      const closed = client.closed;
      dispose(client);
      same(await within(1000, pending, 'next() after free'), { done: true }, 'a pending next() ends');
      const close = await within(1000, closed, 'closed after free');
      same([close.code, close.wasClean], [1000, false], 'closed settles with code 1000');
      const reconnecting = new ReconnectingWebSocketClient(`${base}/echo`);
      const feed = reconnecting.messages();
      const waiting = feed.next();
      const finished = reconnecting.finished;
      dispose(reconnecting);
      same(await within(5000, waiting, 'next() after free'), { done: true }, 'a pending next() ends (reconnecting)');
      await within(5000, finished, 'finished after free');
    }
    return 'ok';
  },

  /**
   * Hostile caller objects at every entry point: getters, Proxies, Blob subclasses and views whose properties
   * call back into the client or lie, and throwing callbacks. Nothing traps (a RuntimeError would be a Wasm
   * trap); every call either works or throws an ordinary error.
   */
  async hostile(base, refusedUrl) {
    const noTrap = (error, what) => {
      if (error instanceof WebAssembly.RuntimeError) throw new Error(`${what} trapped: ${error.message}`);
    };
    const attempt = async (what, action) => {
      try {
        await action();
      } catch (error) {
        noTrap(error, what);
      }
    };
    const client = await WebSocketClient.connect(`${base}/echo`, { binaryType: 'arraybuffer' });
    const reconnecting = new ReconnectingWebSocketClient(refusedUrl, { backoff: { initialDelay: 60_000 } });
    // Options whose getters call back into the client, as plain objects and as Proxies.
    const reentrant = (target) => ({
      get capacity() {
        target.messages();
        target.send('from a getter');
        return 8;
      },
      get overflow() {
        target.messages({ capacity: 2 });
        return 'drop-oldest';
      },
    });
    const proxy = (target) =>
      new Proxy({}, {
        get(_, key) {
          target.messages();
          return key === 'capacity' ? 4 : undefined;
        },
        has() {
          target.messages();
          return false;
        },
      });
    for (const [name, target] of [['client', client], ['reconnecting', reconnecting]]) {
      const iterator = target.messages(reentrant(target));
      check(typeof iterator.next === 'function', `${name}.messages with re-entrant getters`);
      check(typeof target.messages(proxy(target)).next === 'function', `${name}.messages with a Proxy`);
      await attempt(`${name}.messages with a throwing getter`, () =>
        target.messages({
          get capacity() {
            throw Object.create(null);
          },
        }),
      );
    }
    // A Blob subclass whose size getter sends: the reconnecting client queues it (its queue counts bytes).
    class CallingBlob extends Blob {
      get size() {
        reconnecting.send('from size');
        return super.size;
      }
    }
    reconnecting.takeUnsent();
    same(reconnecting.send(new CallingBlob(['abc'])), 'queued', 'a Blob subclass is queued');
    // Views whose byteLength lies: the true bytes are sent (the browser's own getters are read).
    class Lying extends Uint8Array {
      get byteLength() {
        reconnecting.send('from byteLength');
        return 1e9;
      }
    }
    same(reconnecting.send(new Lying([1, 2, 3])), 'queued', 'a lying view is queued');
    const unsent = reconnecting.takeUnsent();
    same(unsent.length, 2, 'the two messages, and nothing sent from a getter (none was called)');
    check(Object.getPrototypeOf(unsent[0]) === Blob.prototype && unsent[0].size === 3, 'a plain Blob is kept');
    same(Array.from(unsent[1]), [1, 2, 3], 'the true bytes of the lying view');
    const echoes = client.messages();
    client.send(new Lying([4, 5]));
    let echoed;
    do echoed = (await within(5000, echoes.next(), 'the echo')).value;
    while (typeof echoed === 'string');
    same(await bytesOf(echoed), [4, 5], 'the direct path sends the true bytes');
    // A Proxy of data is not data.
    for (const data of [new Proxy(new Uint8Array(2), {}), new Proxy(new Blob(['x']), {}), { byteLength: 2 }]) {
      isNamed(await failure(() => client.send(data), 'send(Proxy)'), 'TypeError');
      isNamed(await failure(() => reconnecting.send(data), 'reconnecting send(Proxy)'), 'TypeError');
    }
    // Callbacks that throw what is not an Error, or call back in.
    const nullProto = Object.create(null);
    const tagged = new ReconnectingWebSocketClient(refusedUrl, {
      backoff: { initialDelay: 60_000 },
      acknowledgements: {
        tag() {
          throw nullProto;
        },
        acknowledges: () => null,
      },
    });
    const thrown = await failure(() => tagged.send('x'), 'a tag throwing a null-prototype object');
    check(thrown instanceof Error, 'becomes an Error');
    check(thrown.cause === nullProto, 'with what was thrown as its cause');
    tagged.close();
    const provided = new ReconnectingWebSocketClient(
      () => {
        throw nullProto;
      },
      { maxAttempts: 1 },
    );
    const detail = await within(5000, new Promise((resolve) => provided.addEventListener('disconnected', (e) => resolve(e.detail))), 'disconnected');
    check(detail.error instanceof Error, 'a urlProvider throwing a null-prototype object: an Error');
    check(detail.error.cause === nullProto, 'with what was thrown as its cause');
    await within(5000, provided.finished, 'gave up');
    // Constructor and close arguments that call back in (no client exists yet, or they are refused unread).
    const sneaky = { toString: () => client.send('from toString'), [Symbol.toPrimitive]: () => 1000 };
    isNamed(await failure(() => client.close(sneaky), 'close(object)'), 'TypeError');
    isNamed(await failure(() => client.close(1000, sneaky), 'close(1000, object)'), 'TypeError');
    isNamed(await failure(() => new WebSocketClient(sneaky), 'new WebSocketClient(object)'), 'TypeError');
    isNamed(await failure(() => reconnecting.reconnect(sneaky), 'reconnect(object)'), 'TypeError');
    // A protocols provider that steers the client it belongs to, from inside an attempt.
    let steered = false;
    const steering = new ReconnectingWebSocketClient(`${base}/echo`, {
      protocols() {
        if (!steered) {
          steered = true;
          steering.reconnect();
          steering.send('from the provider');
        }
        return 'steered';
      },
    });
    await attempt('a protocols provider calling reconnect() and send()', () =>
      within(5000, nextEvent(steering, 'open'), 'open'));
    same(steering.protocol, 'steered', 'the steered client opens');
    await steering.close();
    await attempt('connect with a Proxy of options', () => WebSocketClient.connect(`${base}/echo`, proxy(client)).then((c) => c.close()));
    await attempt('addEventListener with re-entrant options', () =>
      client.addEventListener('message', () => {}, {
        get once() {
          client.onmessage = () => {};
          client.removeEventListener('message', () => {});
          return false;
        },
      }),
    );
    await attempt('drawBlob with re-entrant options', () => drawBlob(document.getElementById('destination'), new Blob(['x']), proxy(client)));
    // The remaining entry points, each with an object that calls back in from every trap.
    const trap = new Proxy(function () {}, {
      get() {
        client.messages();
        return undefined;
      },
      getPrototypeOf() {
        client.send('from getPrototypeOf');
        return Error.prototype;
      },
    });
    await attempt('isError(Proxy)', () => isError(trap, 'NotOpenError'));
    await attempt('canvasToBlob(Proxy)', () => canvasToBlob(trap, trap, trap));
    await attempt('binaryType = Proxy', () => {
      client.binaryType = trap;
    });
    client.onmessage = trap;
    client.onmessage = null;
    await attempt('reconnecting.close(Proxy)', () => reconnecting.close(trap, trap));
    await attempt('dispatchEvent(Proxy)', () => client.dispatchEvent(trap));
    await attempt('messages(a function Proxy)', () => client.messages(trap));
    const iterator = client.messages(proxy(client));
    await attempt('iterator.next()/return()', async () => {
      await iterator.return();
      await iterator.next();
    });
    same(client.readyState, 1, 'still open');
    await client.close();
    reconnecting.close();
    return 'ok';
  },

  /** The canvas helpers: a canvas goes out as a Blob, comes back and is drawn; limits and errors are named. */
  async canvas(base) {
    const source = document.getElementById('source');
    const destination = document.getElementById('destination');
    const context = source.getContext('2d');
    context.fillStyle = '#3366cc';
    context.fillRect(0, 0, 40, 30);
    context.fillStyle = '#ff0000';
    context.fillRect(10, 10, 5, 5);
    const png = await canvasToBlob(source);
    check(png instanceof Blob && png.type === 'image/png', 'canvasToBlob makes a PNG');
    const jpeg = await canvasToBlob(source, 'image/jpeg', 0.5);
    same(jpeg.type, 'image/jpeg', 'JPEG');
    const client = await WebSocketClient.connect(`${base}/echo`, { binaryType: 'blob' });
    client.send(png);
    const [received] = await take(client, 1);
    check(received instanceof Blob, 'received as a Blob');
    const size = await drawBlob(destination, received, { fit: 'resize-canvas' });
    same(size, { width: 40, height: 30 }, 'drawn size');
    same([destination.width, destination.height], [40, 30], 'resize-canvas');
    const pixel = Array.from(destination.getContext('2d').getImageData(12, 12, 1, 1).data);
    same(pixel, [255, 0, 0, 255], 'the red square came through');
    // Bytes work too (as received with binaryType "arraybuffer").
    same(await drawBlob(destination, await png.arrayBuffer()), { width: 40, height: 30 }, 'drawn from bytes');
    await client.close();

    const tooMany = await failure(() => drawBlob(destination, png, { maxPixels: 100 }), 'maxPixels 100');
    isNamed(tooMany, 'ImageTooManyPixelsError', { width: 40, height: 30, limit: 100 });
    const tooLarge = await failure(() => drawBlob(destination, png, { maxBytes: 10 }), 'maxBytes 10');
    isNamed(tooLarge, 'ImageTooLargeError', { bytes: png.size, limit: 10 });
    const garbage = new Blob([new Uint8Array([1, 2, 3, 4, 5])], { type: 'image/png' });
    isNamed(await failure(() => drawBlob(destination, garbage), 'garbage'), 'ImageDecodeError');
    isNamed(await failure(() => drawBlob(document.body, png), 'not a canvas'), 'TypeError');
    isNamed(await failure(() => drawBlob(destination, 'png'), 'a string image'), 'TypeError');
    isNamed(await failure(() => drawBlob(destination, png, { fit: 'cover' }), 'fit cover'), 'TypeError');
    const empty = document.createElement('canvas');
    empty.width = 0;
    isNamed(await failure(() => canvasToBlob(empty), 'an empty canvas'), 'ImageEncodeError');
    isNamed(await failure(() => canvasToBlob(source, 'image/png', 2), 'quality 2'), 'RangeError');
    return 'ok';
  },

  /** sendJson and JsonRpcClient as a JS user writes them: results, named errors, abort, notifications, replies. */
  async jsonRpc(base) {
    const client = await WebSocketClient.connect(`${base}/echo`);
    client.sendJson({ a: [1, 'é'] });
    same((await take(client, 1))[0], '{"a":[1,"é"]}', 'sendJson sends JSON text');
    isNamed(await failure(() => client.sendJson(1n), 'a BigInt'), 'TypeError');
    await client.close();

    const rpc = await JsonRpcClient.connect(`${base}/rpc`, { timeout: 5000, maxPending: 8 });
    const notifications = [];
    rpc.addEventListener('notification', (e) => notifications.push([e.detail.method, e.detail.params]));
    const targets = [];
    rpc.addEventListener('notification', function (e) {
      targets.push(this === rpc && e.target === rpc && e.currentTarget === rpc);
    });
    same(await rpc.request('add', [1, 2]), 3, 'add');
    same(await rpc.request('echo', { deep: [null, true] }), { deep: [null, true] }, 'echo');
    const missing = await failure(() => rpc.request('nope'), 'an unknown method');
    isNamed(missing, 'RpcError', { code: -32601 });
    // The server answers this one and the aborted one below after the case has ended (it drops the connection
    // first): a late reply would be reported as unexpected below.
    const late = await failure(() => rpc.request('sleep', { ms: 8000 }, { timeout: 20 }), 'a timeout');
    isNamed(late, 'RequestTimeoutError', { timeout: 20 });
    isNamed(await failure(() => rpc.request('add', [1, 2], { timeout: 0 }), 'a timeout of 0'), 'RangeError');
    isNamed(
      await failure(() => JsonRpcClient.connect(`${base}/rpc`, { connectTimeout: 0 }), 'a connectTimeout of 0'),
      'RangeError',
    );
    const controller = new AbortController();
    const aborted = rpc.request('sleep', { ms: 8000 }, { signal: controller.signal });
    controller.abort(new Error('stop'));
    same((await failure(() => aborted, 'an abort')).message, 'stop', 'rejected with signal.reason');
    await rpc.request('notify', { method: 'tick', params: [7] });
    same(notifications, [['tick', [7]]], 'notifications');
    same(targets, [true], 'the client is the target and `this` of its events');
    // The server's requests come as notifications with an id, answered from the event.
    const answer = (e) => {
      if (e.detail.id === 'q') rpc.reply(e.detail.id, { sum: 3 });
      if (e.detail.id === 9) rpc.replyError(e.detail.id, -32000, 'busy', [1]);
    };
    rpc.addEventListener('notification', answer);
    const asked = await rpc.request('ask', { method: 'add', params: [1, 2], id: 'q' });
    same(asked, { id: 'q', jsonrpc: '2.0', result: { sum: 3 } }, 'a reply');
    same(notifications.at(-1), ['add', [1, 2]], 'the request, as a notification');
    const refused = await rpc.request('ask', { method: 'add', id: 9 });
    same(refused.error, { code: -32000, data: [1], message: 'busy' }, 'an error reply');
    rpc.removeEventListener('notification', answer);
    isNamed(await failure(() => rpc.reply({}, 1), 'an object id'), 'TypeError');
    isNamed(await failure(() => rpc.replyError(1, 1.5, 'm'), 'a fractional code'), 'TypeError');
    // Read in the browser's own JSON: a text that is not JSON and a reply no request awaits are reported.
    const unexpected = [];
    rpc.addEventListener('unexpected', (e) => unexpected.push(e.detail.error));
    await rpc.request('garbage');
    await rpc.request('stray', { id: 424242 });
    await within(2000, (async () => { while (unexpected.length < 2) await sleep(10); })(), 'two reports');
    isNamed(unexpected[0], 'DecodeError', { data: 'not json' });
    isNamed(unexpected[1], 'UnknownReplyError', { id: 424242 });
    same(rpc.pendingRequests, 0, 'nothing pending');
    const dropped = rpc.request('sleep', { ms: 5000 });
    rpc.notify('drop');
    isNamed(await failure(() => dropped, 'a drop'), 'ConnectionClosedError', { code: 1006 });
    return 'ok';
  },
};

document.getElementById('status').textContent = 'ready';
