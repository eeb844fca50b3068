/**
 * Attack: RPC lockout (issue 13, item 6). 16 idle TCP connections with no handshake locked real
 * clients out for as long as they stayed open, a connection could stay idle forever, and wrong
 * `--rpc-auth` keys could be retried without limit. Real `shoal agent` processes and the real
 * `serf` CLI; the idle timeout runs on an in-process server with a short timeout.
 */
import { ok } from "node:assert/strict";
import { seededPrng, systemClock } from "../../lib/clock.ts";
import { encode } from "../../lib/gossip/wire/msgpack.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { RpcServer } from "../../lib/serf/rpc/server.ts";
import { Serf } from "../../lib/serf/serf.ts";
import { startTarget } from "../_support/forge.ts";
import { nodeInfo, RecordingHandle } from "../_support/serf_harness.ts";
import { serfCli } from "../_support/serf_cli.ts";

function hostPort(addr: string): { hostname: string; port: number } {
  const at = addr.lastIndexOf(":");
  return { hostname: addr.slice(0, at), port: Number(addr.slice(at + 1)) };
}

/** Writes `requests` (header, body pairs), then reads until the server closes or `readMs`. */
async function rawSession(addr: string, requests: object[], readMs = 2000): Promise<string> {
  const conn = await Deno.connect(hostPort(addr)).catch(() => null);
  if (conn === null) return "";
  const timer = setTimeout(() => conn.close(), readMs);
  let text = "";
  try {
    for (const r of requests) await conn.write(encode(r as never)).catch(() => 0);
    const buf = new Uint8Array(4096);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
      if (text.includes("Invalid authentication token")) break;
    }
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed by the timer
    }
  }
  return text;
}

Deno.test("16 idle connections without a handshake do not lock out serf members", async () => {
  const t = await startTarget("shoal-rpc-idle");
  const idle: Deno.Conn[] = [];
  try {
    for (let i = 0; i < 16; i++) idle.push(await Deno.connect(hostPort(t.rpcAddr)));
    const r = await serfCli("members", t.rpcAddr, [], 5000);
    ok(r.code === 0, `serf members: ${r.stdout}${r.stderr}`);
  } finally {
    for (const c of idle) c.close();
    await t.proc.stop();
  }
});

Deno.test("a connection that never sends a handshake is closed", async () => {
  const t = await startTarget("shoal-rpc-handshake");
  try {
    const conn = await Deno.connect(hostPort(t.rpcAddr));
    const timer = setTimeout(() => conn.close(), 10_000);
    const n = await conn.read(new Uint8Array(16)).catch(() => "closed by the test");
    clearTimeout(timer);
    ok(n === null, `the server closed the connection (${n})`);
    conn.close();
  } finally {
    await t.proc.stop();
  }
});

Deno.test("wrong RPC auth keys back off: 20 quick guesses get few checks, then the key works", async () => {
  const t = await startTarget("shoal-rpc-auth", ["--rpc-auth", "s3cret"]);
  try {
    const attempt = (key: string) =>
      rawSession(t.rpcAddr, [
        { Command: "handshake", Seq: 0 },
        { Version: 1 },
        { Command: "auth", Seq: 1 },
        { AuthKey: key },
      ]);
    for (let i = 0; i < 20; i++) await attempt("wrong");
    const checks = () => t.proc.logs().filter((l) => l.event === "serf.rpc.auth_failed").length;
    const checked = checks();
    // without the backoff all 20 are compared
    ok(checked >= 1 && checked <= 8, `${checked} of 20 wrong keys were compared`);
    // right after a compared wrong key (a fresh window of >= 1.6 s), the right key is refused
    for (let i = 0; i < 200 && checks() === checked; i++) await attempt("wrong");
    // a raw session, not the serf CLI: spawning it can outlast the window on a loaded machine
    const early = await attempt("s3cret");
    ok(
      early.includes("Invalid authentication token"),
      `the right key is refused while the host backs off: ${early}`,
    );
    let good = await serfCli("members", t.rpcAddr, ["-rpc-auth=s3cret"], 5000);
    for (let i = 0; i < 100 && good.code !== 0; i++) {
      // the backoff is at most RPC_AUTH_BACKOFF_MAX_MS (10 s)
      await new Promise((r) => setTimeout(r, 200));
      good = await serfCli("members", t.rpcAddr, ["-rpc-auth=s3cret"], 5000);
    }
    ok(good.code === 0, `the right key after the backoff: ${good.stderr}`);
  } finally {
    await t.proc.stop();
  }
});

Deno.test("RpcServer closes a handshaken connection idle for idleTimeoutMs", async () => {
  const log = new MemoryLogger();
  const serf = new Serf({ nodeName: "a" }, { clock: systemClock, prng: seededPrng(3), log });
  serf.attach(new RecordingHandle(nodeInfo("a", 7946, {})));
  const server = RpcServer.listen({ serf, log, port: 0, idleTimeoutMs: 300 });
  try {
    const reply = await rawSession(`127.0.0.1:${server.addr.port}`, [
      { Command: "handshake", Seq: 0 },
      { Version: 1 },
    ], 5000);
    ok(reply.includes("Seq"), "the handshake was answered");
    ok(
      log.records.some((r) => r.event === "serf.rpc.idle_closed"),
      "closed as idle, not by the test",
    );
  } finally {
    await server.close();
    serf.shutdown();
  }
});
