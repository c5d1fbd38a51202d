// A `using` declaration, in a module of its own: an engine without explicit resource management (WebKitGTK 2.50
// has neither `using` nor `Symbol.dispose`) cannot parse a module that has one, so cases.mjs imports this module
// only where the engine has `Symbol.dispose`.

/** Connects with `connect()`, hands the client to `use` inside a `using` block, and returns it, disposed of. */
export async function inUsingBlock(connect, use) {
  using client = await connect();
  await use(client);
  return client;
}
