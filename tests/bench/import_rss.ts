/**
 * Memory of importing one module (not a test): a fresh Deno process imports the module given, opens
 * one UDP socket and a timer, waits 1.5 s and prints its RSS split into anonymous and file-backed
 * pages and the V8 heap in use. With no argument it measures the bare runtime.
 *
 *   deno run -A --unstable-net tests/bench/import_rss.ts [module]
 *
 * @module
 */

const what = Deno.args[0];
if (what) await import(what.startsWith(".") ? new URL(what, `file://${Deno.cwd()}/`).href : what);
const socket = Deno.listenDatagram({ hostname: "127.0.0.1", port: 0, transport: "udp" });
const timer = setInterval(() => {}, 60_000);
await new Promise((r) => setTimeout(r, 1500));
const status = Deno.readTextFileSync("/proc/self/status");
const mb = (key: string) => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))![1]) / 1024;
console.log(
  `${what ?? "(bare Deno)"}\tRSS ${mb("VmRSS").toFixed(1)} MB\tRssAnon ${
    mb("RssAnon").toFixed(1)
  }` +
    `\tRssFile ${mb("RssFile").toFixed(1)}\theap ${
      (Deno.memoryUsage().heapUsed / 2 ** 20).toFixed(1)
    }`,
);
clearInterval(timer);
socket.close();
