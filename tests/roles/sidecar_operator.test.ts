/**
 * Startup mistakes carry the hint that fixes them (a real HAProxy whose stats socket lacks
 * `level admin`, under a real `shoal sidecar`), and `--log-haproxy` wraps HAProxy's output.
 *
 * Addresses: 127.90.41.5x.
 */

import { equal, ok } from "node:assert/strict";
import { haproxyLineLevel } from "../../lib/roles/sidecar/haproxy_output.ts";
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

Deno.test("--log-haproxy wraps a supervised HAProxy's output into the structured log", async () => {
  const dir = await Deno.makeTempDir({ prefix: "shoal-loghap-" });
  const cfg = `${dir}/haproxy.cfg`;
  await Deno.writeTextFile(
    cfg,
    [
      "global",
      `  stats socket ${dir}/admin.sock mode 600 level admin`,
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
    "--node=loghap",
    "--bind=127.90.41.52:0",
    "--rpc-addr=",
    "--log-haproxy",
    `--haproxy-socket=${dir}/admin.sock`,
    "--",
    "haproxy",
    "-W",
    "-db",
    "-f",
    cfg,
  ]);
  try {
    const line = await sidecar.waitForLog("haproxy.output", undefined, 20_000);
    equal(line.stream, "stderr");
    equal(line.node, "loghap");
    ok(String(line.line).startsWith("[NOTICE]"), JSON.stringify(line));
    equal(line.level, "info");
    await sidecar.waitForLog("sidecar.running");
    sidecar.kill("SIGTERM");
    equal((await sidecar.status).code, 0);
    ok(!/^\[NOTICE\]/m.test(sidecar.output()), "no raw HAProxy line on the sidecar's stderr");
  } finally {
    await sidecar.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("haproxyLineLevel() maps HAProxy's severity tags to log levels", () => {
  equal(haproxyLineLevel("[NOTICE]   (1766) : New worker (1770) forked"), "info");
  equal(haproxyLineLevel("[WARNING]  (1766) : Exiting Master process..."), "warn");
  equal(
    haproxyLineLevel("[ALERT]    (1766) : Current worker (1770) exited with code 143"),
    "error",
  );
  equal(haproxyLineLevel("plain text"), "info");
});
