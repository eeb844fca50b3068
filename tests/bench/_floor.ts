/**
 * The footprint benchmark's floor: a bare Deno process holding what any gossip member must (one
 * UDP socket and a pending timer) and nothing of shoal. Runs until killed.
 *
 * With the argument `schedule` it also keeps memberlist's idle schedule — a 200 ms gossip tick
 * that sends nothing and, every second, a 100-byte UDP ping to itself that it reads back — so
 * the benchmark can tell the runtime's cost of those wakeups from the cost of our code.
 *
 * With `features` it keeps that schedule and also uses, once each, every runtime capability a
 * `shoal task` uses, still without any of shoal's code: a TCP listener and a connection to it, FFI
 * (`dlopen` of libc and a call), signal listeners (SIGTERM, SIGINT, SIGCHLD, SIGHUP), a child
 * process. Not `node:crypto`: the keyring loads it only when encryption is configured, and the
 * benchmark's cluster runs without (`node:crypto` alone adds 5–6 MB, `tests/bench/import_rss.ts
 * node:crypto`). The difference between this floor and a task is then shoal's modules and what
 * running them costs.
 *
 * @module
 */

const mode = Deno.args[0] ?? "";
const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
const keepAlive = setInterval(() => {}, 60_000);
if (mode === "schedule" || mode === "features") {
  const self = socket.addr as Deno.NetAddr;
  const ping = new Uint8Array(100);
  setInterval(() => {}, 200);
  setInterval(() => void socket.send(ping, self), 1000);
  (async () => {
    for await (const _ of socket) { /* the ack a member would match */ }
  })();
}
if (mode === "features") await useRuntimeFeatures();
console.log("floor.ready");
await new Promise(() => {}); // until SIGKILL
clearInterval(keepAlive);
socket.close();

async function useRuntimeFeatures(): Promise<void> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted = (async () => {
    const conn = await listener.accept();
    await conn.read(new Uint8Array(64));
    conn.close();
  })();
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
  await conn.write(new Uint8Array(16));
  conn.close();
  await accepted;

  const libc = Deno.dlopen("libc.so.6", { getpid: { parameters: [], result: "i32" } });
  if (libc.symbols.getpid() !== Deno.pid) throw new Error("getpid through FFI disagrees");

  for (const signal of ["SIGTERM", "SIGINT", "SIGCHLD", "SIGHUP"] as const) {
    Deno.addSignalListener(signal, () => {});
  }
  const child = await new Deno.Command("true").output();
  if (!child.success) throw new Error("`true` failed");
}
