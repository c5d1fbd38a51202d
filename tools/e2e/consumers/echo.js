// What each consumer page does once its bundler has built it (js-package.test.mjs builds them from the packed
// tarball): `init`, connect to the echo server named in the page's `?echo=` (its base URL), send one text message,
// wait for the echo, close; then write the outcome into #status, `echoed: ...` or `error: ...`, for the test.

/** Runs `start` (which calls `init` as that bundler's users do) and then one echo round trip with `WebSocketClient`. */
export async function echoOnce(start, WebSocketClient) {
  const status = document.getElementById('status');
  try {
    await start();
    const base = new URLSearchParams(location.search).get('echo');
    const client = await WebSocketClient.connect(`${base}/echo`);
    const sent = `hello from ${document.title}`;
    const reply = new Promise((resolve) => {
      client.addEventListener('message', (event) => resolve(event.data), { once: true });
    });
    client.send(sent);
    const data = await reply;
    const close = await client.close();
    if (data !== sent) throw new Error(`sent ${JSON.stringify(sent)}, got back ${JSON.stringify(data)}`);
    status.textContent = `echoed: ${data} (close ${close.code})`;
  } catch (error) {
    status.textContent = `error: ${error?.name}: ${error?.message}`;
  }
}
