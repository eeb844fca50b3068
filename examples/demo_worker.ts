/**
 * The demo's worker: an HTTP server on the listening socket `shoal task` hands over as fd 3.
 * Answers every request with the name of the task that served it, and stops accepting on SIGTERM,
 * finishing the requests in flight.
 *
 * `Deno.serve` cannot adopt an inherited socket, but `node:http` can (`listen({ fd: 3 })`).
 *
 * Run by: `shoal task --node task-1 ... -- deno run -A examples/demo_worker.ts`
 *
 * @module
 */

import { createServer } from "node:http";

const name = Deno.env.get("DEMO_TASK") ?? `pid-${Deno.pid}`;
const fd = Number(Deno.env.get("SHOAL_LISTENER_FD") ?? "3");

const server = createServer((_req, res) => {
  res.setHeader("content-type", "text/plain");
  res.end(`hello from ${name}\n`);
});

Deno.addSignalListener("SIGTERM", () => {
  server.close(() => Deno.exit(0));
  server.closeIdleConnections();
});
server.listen({ fd });
