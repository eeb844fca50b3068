/**
 * Startup mistakes carry the hint that fixes them (a real HAProxy whose stats socket lacks
 * `level admin`, under a real `shoal sidecar`), and `--log-haproxy` wraps HAProxy's output.
 *
 * Addresses: 127.90.41.5x.
 */

import { equal, ok } from "node:assert/strict";
import { haproxyLineLevel } from "../../lib/roles/sidecar/haproxy_output.ts";
import { haproxyBinary } from "../_support/haproxy.ts";
import { type ShoalProcess, startShoal } from "../_support/shoal_process.ts";

/** A sidecar supervising a real HAProxy whose stats socket has `level`; `extra` sidecar flags. */
async function supervised(
  name: string,
  host: string,
  level: "admin" | "operator",
  extra: string[] = [],
): Promise<{ sidecar: ShoalProcess; dir: string }> {
  const dir = await Deno.makeTempDir({ prefix: `shoal-${name}-` });
  const cfg = `${dir}/haproxy.cfg`;
  await Deno.writeTextFile(
    cfg,
    [
      "global",
      `  stats socket ${dir}/admin.sock mode 600 level ${level}`,
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
    `--node=${name}`,
    `--bind=${host}:0`,
    "--rpc-addr=",
    ...extra,
    `--haproxy-socket=${dir}/admin.sock`,
    "--",
    haproxyBinary(),
    "-W",
    "-db",
    "-f",
    cfg,
  ]);
  return { sidecar, dir };
}

Deno.test("a stats socket without 'level admin' stops the sidecar with the hint that fixes it", async () => {
  const { sidecar, dir } = await supervised("hint", "127.90.41.51", "operator");
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
  const { sidecar, dir } = await supervised("loghap", "127.90.41.52", "admin", ["--log-haproxy"]);
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
