/**
 * The footprint benchmark's floor: a bare Deno process holding what any gossip member must (one
 * UDP socket and a pending timer) and nothing of shoal. Runs until killed.
 *
 * With the argument `schedule` it also keeps memberlist's idle schedule — a 200 ms gossip tick
 * that sends nothing and, every second, a 100-byte UDP ping to itself that it reads back — so
 * the benchmark can tell the runtime's cost of those wakeups from the cost of our code.
 *
 * @module
 */

const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
const keepAlive = setInterval(() => {}, 60_000);
if (Deno.args[0] === "schedule") {
  const self = socket.addr as Deno.NetAddr;
  const ping = new Uint8Array(100);
  setInterval(() => {}, 200);
  setInterval(() => void socket.send(ping, self), 1000);
  (async () => {
    for await (const _ of socket) { /* the ack a member would match */ }
  })();
}
console.log("floor.ready");
await new Promise(() => {}); // until SIGKILL
clearInterval(keepAlive);
socket.close();
