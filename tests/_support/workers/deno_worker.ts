/**
 * Deno test worker: `Deno.serve` cannot adopt an inherited fd, but `node:http`'s
 * `server.listen({ fd: 3 })` can. Serves `/info` (JSON) and `/` on the socket from fd 3.
 *
 * @module
 */
import { createServer } from "node:http";

const server = createServer((req, res) => {
  if (req.url === "/info") {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({
      pid: Deno.pid,
      runtime: "deno",
      shoal_port: Deno.env.get("SHOAL_PORT"),
      listen_pid: Deno.env.get("LISTEN_PID"),
    }));
    return;
  }
  res.end("ok");
});
Deno.addSignalListener("SIGTERM", () => server.close(() => Deno.exit(0)));
server.listen({ fd: 3 });
