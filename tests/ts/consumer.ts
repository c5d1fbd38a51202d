// A TypeScript consumer of the npm package, compiled with `tsc --strict` against the declarations wasm-pack
// generates, as installed from the packed tarball (see tests/ts/tsconfig.json). It is never run: it checks that
// the public API is typed precisely, that correct code compiles, and (with @ts-expect-error) that wrong code
// does not. Covers: connect/send/close/getters/events/async iteration of WebSocketClient, the reconnecting
// client with every option and its events, the canvas helpers, the error types and `isError` narrowing,
// `sendJson` and `JsonRpcClient` (options, `request` with `timeout`/`signal`, events, its errors), and that no
// public member is `any`.

import init, {
  JsonRpcClient,
  NotOpenError,
  ReconnectingWebSocketClient,
  RpcError,
  WebSocketClient,
  canvasToBlob,
  drawBlob,
  isError,
  type BrowserWsError,
  type CloseReasonTooLongError,
  type ConnectOptions,
  type ErrorName,
  type ImageSize,
  type JsonRpcOptions,
  type RequestOptions,
  type MessageData,
  type MessageIterator,
  type ReadyState,
  type ReconnectOptions,
  type ReconnectState,
  type SendResult,
} from "browser-ws";

/** Compiles only if `T` is exactly `U`. */
type Equal<T, U> = (<V>() => V extends T ? 1 : 2) extends <V>() => V extends U ? 1 : 2 ? true : false;
/** Compiles only if `T` is not `any`. */
type NotAny<T> = 0 extends 1 & T ? false : true;
function assertType<T extends true>(): T | undefined {
  return undefined;
}

async function plainClient(url: string): Promise<void> {
  await init();
  const options: ConnectOptions = { protocols: ["chat.v1", "chat.v2"], binaryType: "blob", connectTimeout: 5000 };
  const client = await WebSocketClient.connect(url, options);
  const fromUrl = await WebSocketClient.connect(new URL(url));
  fromUrl.free();

  client.send("text");
  client.send(new Uint8Array([1, 2, 3]));
  client.send(new ArrayBuffer(8));
  client.send(new DataView(new ArrayBuffer(4)));
  client.send(new Blob(["blob"]));
  // @ts-expect-error: numbers are not messages
  client.send(42);
  // @ts-expect-error: neither are plain objects
  client.send({ text: "hi" });

  const state: ReadyState = client.readyState;
  const buffered: number = client.bufferedAmount;
  const names: string[] = [client.protocol, client.extensions, client.url];
  client.binaryType = "arraybuffer";
  // @ts-expect-error: only "blob" and "arraybuffer"
  client.binaryType = "text";
  void [state, buffered, names];

  client.onmessage = (event) => {
    assertType<Equal<typeof event.data, MessageData>>();
    if (typeof event.data === "string") console.log(event.data.toUpperCase());
    else if (event.data instanceof ArrayBuffer) console.log(event.data.byteLength);
    else console.log(event.data.size);
  };
  client.onclose = (event) => console.log(event.code, event.reason, event.wasClean);
  // The DOM's constants, static and on instances, with their literal types; dispatchEvent.
  const open: 1 = WebSocketClient.OPEN;
  const closed: 3 = client.CLOSED;
  const notCancelled: boolean = client.dispatchEvent(new Event("custom"));
  void [open, closed, notCancelled, ReconnectingWebSocketClient.CONNECTING];
  // @ts-expect-error: the constants are read-only
  client.OPEN = 2;
  // The error classes narrow with instanceof.
  try {
    client.send("x");
  } catch (error) {
    if (error instanceof NotOpenError) {
      const readyState: ReadyState = error.readyState;
      assertType<Equal<typeof error.name, "NotOpenError">>();
      void readyState;
    }
  }
  client.onopen = null;
  client.addEventListener("close", (event) => {
    assertType<Equal<typeof event, CloseEvent>>();
  });
  client.addEventListener("message", (event) => {
    assertType<Equal<typeof event, MessageEvent<MessageData>>>();
  }, { once: true, signal: new AbortController().signal });
  client.addEventListener("error", (event) => {
    assertType<Equal<typeof event, Event>>();
  });
  client.removeEventListener("open", () => {});

  for await (const data of client) {
    assertType<Equal<typeof data, MessageData>>();
    if (data === "bye") break;
  }
  const iterator: MessageIterator = client.messages({ capacity: 100, overflow: "drop-oldest" });
  const next = await iterator.next();
  if (!next.done) assertType<Equal<typeof next.value, MessageData>>();
  const dropped: number = iterator.dropped;
  void dropped;
  // @ts-expect-error: no such overflow policy
  client.messages({ overflow: "grow" });

  const close: CloseEvent = await client.close(4000, "done");
  const closedToo: CloseEvent = await client.closed;
  await client.close();
  // @ts-expect-error: close codes are numbers
  await client.close("1000");
  void [close, closedToo];

  {
    using disposed = new WebSocketClient(url, { binaryType: "blob" });
    void disposed;
  }
  // @ts-expect-error: connectTimeout is for connect() only
  new WebSocketClient(url, { connectTimeout: 5 });
}

async function reconnecting(url: string): Promise<void> {
  const options: ReconnectOptions = {
    protocols: "chat.v1",
    binaryType: "arraybuffer",
    backoff: { initialDelay: 250, maxDelay: 10_000, factor: 2, jitter: 0.5 },
    maxAttempts: null,
    minUptime: 5000,
    connectTimeout: 10_000,
    maxQueuedMessages: 100,
    maxQueuedBytes: 1 << 20,
    sendWatermarks: { high: 1 << 20, low: 256 << 10 },
    receiveQueue: { capacity: 4096, overflow: "fail" },
    heartbeat: { interval: 15_000, timeout: 5000, ping: "ping", isPong: (data) => data === "pong" },
    urlProvider: async (base) => `${base}?token=${await Promise.resolve("fresh")}`,
    shouldReconnect: (close) => close.code !== 4001,
    retryOnOnline: true,
    acknowledgements: {
      tag: (id, data) => JSON.stringify({ id, data: typeof data === "string" ? data : "" }),
      acknowledges: (data) => (typeof data === "string" ? (JSON.parse(data) as { ack?: number }).ack : null),
    },
  };
  // @ts-expect-error: acknowledgements needs both functions
  new ReconnectingWebSocketClient(url, { acknowledgements: { tag: (id: number) => String(id) } });
  const client = new ReconnectingWebSocketClient(url, options);
  new ReconnectingWebSocketClient(() => Promise.resolve(new URL(url))).free();
  // Options as partysocket and reconnecting-websocket name them.
  const partysocket: ReconnectOptions = {
    maxRetries: 10,
    minReconnectionDelay: 1000,
    maxReconnectionDelay: 10_000,
    reconnectionDelayGrowFactor: 1.3,
    minUptime: 5000,
    connectionTimeout: 4000,
    maxEnqueuedMessages: 100,
    debug: false,
  };
  const retries: number = new ReconnectingWebSocketClient(url, partysocket).retryCount;
  void retries;
  // partysocket's "none" values and handler properties.
  const party = new ReconnectingWebSocketClient(url, { protocols: () => null, maxEnqueuedMessages: Infinity });
  party.onopen = (event) => console.log(event.type);
  const binaryType: "arraybuffer" | "blob" = party.binaryType;
  void binaryType;
  // @ts-expect-error: binaryType is the option's, read-only
  party.binaryType = "arraybuffer";
  // @ts-expect-error: no close event (disconnected, closed)
  party.onclose = () => {};

  const result: SendResult = client.send("subscribe");
  if (result === "queued") console.log("will be sent once connected");
  try {
    client.send(new Uint8Array(1 << 20));
  } catch (error) {
    if (isError(error, "QueueFullError")) {
      assertType<Equal<typeof error.maxMessages, number>>();
      console.log("not sent:", error.data, error.maxBytes);
    } else if (isError(error, "NotOpenError")) {
      const readyState: ReadyState = error.readyState;
      void readyState;
    }
  }

  client.addEventListener("connecting", (event) => console.log(event.detail.attempt));
  client.addEventListener("waiting", (event) => {
    const delay: number = event.detail.delay;
    void delay;
  });
  client.addEventListener("disconnected", (event) => {
    const error = event.detail.error;
    if (isError(error, "ConnectionClosedError")) console.log(error.code, error.reason, error.wasClean);
  });
  client.addEventListener("gaveup", () => console.log(client.takeUnsent()));
  client.onmessage = (event) => console.log(event.data);
  const state: ReconnectState = client.state;
  void state;
  // @ts-expect-error: not a state
  const wrong: ReconnectState = "reconnecting";
  void wrong;

  for await (const data of client) {
    assertType<Equal<typeof data, MessageData>>();
    break;
  }
  const unsent: Array<string | Uint8Array | Blob> = client.takeUnsent();
  void unsent;
  await client.close(1000, "bye");
  await client.finished;
  // @ts-expect-error: jitter is a number
  new ReconnectingWebSocketClient(url, { backoff: { jitter: "high" } });
  // @ts-expect-error: no such overflow policy
  new ReconnectingWebSocketClient(url, { receiveQueue: { overflow: "drop" } });
}

async function canvases(canvas: HTMLCanvasElement, blob: Blob): Promise<void> {
  const size: ImageSize = await drawBlob(canvas, blob, { fit: "contain", maxBytes: 4 << 20, maxPixels: 4096 * 4096 });
  await drawBlob(canvas, await blob.arrayBuffer(), { decoder: "image-element", fit: "resize-canvas" });
  const png: Blob = await canvasToBlob(canvas);
  const jpeg: Blob = await canvasToBlob(canvas, "image/jpeg", 0.8);
  // @ts-expect-error: no such fit
  await drawBlob(canvas, blob, { fit: "cover" });
  const offscreen = new OffscreenCanvas(1, 1);
  await drawBlob(offscreen, blob, { fit: "resize-canvas" });
  const fromOffscreen: Blob = await canvasToBlob(offscreen, "image/webp");
  void [size, png, jpeg, fromOffscreen];
}

async function typed(url: string): Promise<void> {
  const client = await WebSocketClient.connect(url);
  client.sendJson({ hello: ["world", 1, null] });
  const feed = new ReconnectingWebSocketClient(url);
  const sent: SendResult = feed.sendJson([1, 2]);
  void sent;

  const options: JsonRpcOptions = { protocols: "rpc.v1", connectTimeout: 5000, timeout: 2000, maxPending: 16, notificationQueue: 64 };
  const rpc = await JsonRpcClient.connect(new URL(url), options);
  const controller = new AbortController();
  const requestOptions: RequestOptions = { timeout: 100, signal: controller.signal };
  const result: unknown = await rpc.request("add", [1, 2], requestOptions);
  await rpc.request("ping");
  // @ts-expect-error: the method is a string
  await rpc.request(1);
  // @ts-expect-error: no such option
  await rpc.request("x", null, { retries: 3 });
  rpc.notify("log", { line: "hi" });
  const pending: number = rpc.pendingRequests;
  rpc.addEventListener("notification", (event) => {
    assertType<Equal<typeof event.detail.method, string>>();
    console.log(event.detail.params);
    const id = event.detail.id;
    if (id !== undefined) {
      rpc.reply(id, { ok: true });
      rpc.replyError(id, -32000, "busy", [1]);
      rpc.replyError(id, -32000, "busy");
    }
  });
  // @ts-expect-error: an id is a string, a number or null
  rpc.reply({}, 1);
  rpc.addEventListener("unexpected", (event) => {
    const error = event.detail.error;
    if (isError(error, "UnknownReplyError")) console.log(error.id, error.data);
    if (isError(error, "DecodeError")) console.log(error.data);
  });
  try {
    await rpc.request("slow");
  } catch (error) {
    if (isError(error, "RpcError")) console.log(error.code, error.message, error.data);
    if (error instanceof RpcError) console.log(error.code, error.data);
    if (isError(error, "RequestTimeoutError")) console.log(error.id, error.timeout);
    if (isError(error, "TooManyRequestsError")) console.log(error.limit);
  }
  rpc.close();
  void [result, pending];
}

function errors(error: unknown, other?: BrowserWsError): string {
  if (isError(error, "ConnectionClosedError")) return `${error.code} ${error.reason} ${error.wasClean}`;
  if (isError(error, "InvalidCloseCodeError")) return `${error.code}`;
  if (isError(error, "CloseReasonTooLongError")) {
    assertType<Equal<typeof error, CloseReasonTooLongError>>();
    return `${error.byteLength}`;
  }
  if (isError(error, "ImageTooManyPixelsError")) return `${error.width}×${error.height} > ${error.limit}`;
  if (isError(error, "ConnectTimeoutError")) return `${error.timeout} ms`;
  // @ts-expect-error: not an error of this package
  isError(error, "NoSuchError");
  const name: ErrorName = "GaveUpError";
  return `${name} ${other?.name ?? ""}: ${other?.message ?? ""}`;
}

// No public member is `any`.
assertType<NotAny<WebSocketClient["send"]>>();
assertType<NotAny<Parameters<WebSocketClient["send"]>[0]>>();
assertType<NotAny<Parameters<typeof WebSocketClient.connect>[1]>>();
assertType<NotAny<Awaited<ReturnType<WebSocketClient["close"]>>>>();
assertType<NotAny<WebSocketClient["readyState"]>>();
assertType<NotAny<WebSocketClient["onmessage"]>>();
assertType<NotAny<Awaited<ReturnType<MessageIterator["next"]>>>>();
assertType<NotAny<Parameters<ReconnectingWebSocketClient["send"]>[0]>>();
assertType<NotAny<ReturnType<ReconnectingWebSocketClient["takeUnsent"]>>>();
assertType<NotAny<Parameters<typeof drawBlob>[2]>>();
assertType<NotAny<Awaited<ReturnType<typeof drawBlob>>>>();
assertType<Equal<Awaited<ReturnType<typeof WebSocketClient.connect>>, WebSocketClient>>();

assertType<NotAny<Parameters<typeof JsonRpcClient.connect>[1]>>();
assertType<NotAny<Parameters<JsonRpcClient["request"]>[2]>>();
assertType<Equal<Awaited<ReturnType<typeof JsonRpcClient.connect>>, JsonRpcClient>>();

export { plainClient, reconnecting, canvases, typed, errors };
