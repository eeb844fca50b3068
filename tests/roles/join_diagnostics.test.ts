/**
 * Join failures say why (issue 12 item 6), with real `shoal` processes: an unresolvable `--join`
 * host is a DNS error, a port nobody listens on is refused, and a key mismatch shows at warn on
 * both sides; a join that reached nobody is never logged as `gossip.joined`.
 *
 * Addresses: 127.0.1.7x.
 */

import { equal } from "node:assert/strict";
import { freePort } from "../_support/serf_agent.ts";
import { type ShoalProcess, startShoal } from "../_support/shoal_process.ts";

const KEY_A = "5K9OtfP7efFrNKe5WCQvXvnaXJ5cWP0SvXiwe0kkjM4=";
const KEY_B = "HvY8ubRZMgafUOWvrOadwOckVa1wN3QWAo46FVKbVN8=";

function agent(node: string, host: string, port: number, extra: string[]): ShoalProcess {
  return startShoal([
    "agent",
    `--node=${node}`,
    `--bind=${host}:${port}`,
    "--rpc-addr=",
    "--profile=local",
    ...extra,
  ]);
}

function noJoined(p: ShoalProcess): void {
  equal(p.logs().filter((l) => l.event === "gossip.joined").length, 0, "logged as joined");
}

Deno.test("a failed join logs its cause: DNS, refused", async () => {
  const dns = agent("diag-dns", "127.0.1.71", freePort(), ["--join=no-such-host.invalid:7946"]);
  const refused = agent("diag-refused", "127.0.1.72", freePort(), [
    `--join=127.0.1.73:${freePort()}`,
  ]);
  try {
    await dns.waitForLog("join.failed", (l) => l.level === "warn" && l.cause === "dns");
    await refused.waitForLog("join.failed", (l) => l.level === "warn" && l.cause === "refused");
    noJoined(dns);
    noJoined(refused);
  } finally {
    dns.kill("SIGKILL");
    refused.kill("SIGKILL");
    await dns.stop();
    await refused.stop();
  }
});

Deno.test("a key mismatch is a warning on both sides", async () => {
  const port = freePort();
  const a = agent("diag-a", "127.0.1.74", port, [`--encrypt=${KEY_A}`]);
  let b: ShoalProcess | undefined;
  try {
    await a.waitForLog("gossip.started");
    b = agent("diag-b", "127.0.1.75", freePort(), [
      `--encrypt=${KEY_B}`,
      `--join=127.0.1.74:${port}`,
    ]);
    await b.waitForLog("join.failed", (l) => l.level === "warn" && l.cause === "decrypt");
    await a.waitForLog("gossip.decrypt_failed", (l) => l.level === "warn");
    noJoined(b);
  } finally {
    a.kill("SIGKILL");
    b?.kill("SIGKILL");
    await a.stop();
    await b?.stop();
  }
});
