/**
 * The footprint benchmark's floor: a bare Deno process holding what any gossip member must (one
 * UDP socket and a pending timer) and nothing of shoal. Runs until killed.
 *
 * @module
 */

const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
const keepAlive = setInterval(() => {}, 60_000);
console.log("floor.ready");
await new Promise(() => {}); // until SIGKILL
clearInterval(keepAlive);
socket.close();
