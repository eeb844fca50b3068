/**
 * Startup mistakes carry the hint that fixes them: a real HAProxy whose stats socket lacks
 * `level admin`, under a real `shoal sidecar`.
 *
 * Addresses: 127.90.41.5x.
 */

import { equal, ok } from "node:assert/strict";
import { startShoal } from "../_support/shoal_process.ts";

Deno.test("a stats socket without 'level admin' stops the sidecar with the hint that fixes it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "shoal-hint-" });
  const cfg = `${dir}/haproxy.cfg`;
  await Deno.writeTextFile(
    cfg,
    [
      "global",
      `  stats socket ${dir}/admin.sock mode 600 level operator`,
      "defaults",
      "  mode http",
      "  timeout connect 1s",
      "  timeout client 10s",
      "  timeout server 10s",
      "backend shoal",
      "  balance roundrobin",
      "",
    ].join("\n"),
  );
  const sidecar = startShoal([
    "sidecar",
    "--node=hint",
    "--bind=127.90.41.51:0",
    "--rpc-addr=",
    `--haproxy-socket=${dir}/admin.sock`,
    "--",
    "haproxy",
    "-W",
    "-db",
    "-f",
    cfg,
  ]);
  try {
    const line = await sidecar.waitForLog("sidecar.haproxy.unusable", undefined, 20_000);
    ok(String(line.error).includes("Permission denied"), JSON.stringify(line));
    equal(line.hint, "add 'level admin' to the 'stats socket' line of haproxy.cfg");
    equal((await sidecar.status).code, 1);
  } finally {
    await sidecar.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
