/**
 * Lower items of issue 13: a failed member whose name has `;`, spaces or `/` is still
 * reconnected; a truncated snapshot line is refused; an RPC query with a 2^53 ns timeout is
 * dispatched; `members-filtered` accepts `(?i)` as serf does. Real `shoal agent` processes and
 * the real `serf` CLI where the input arrives on a socket.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { parseJoinTarget } from "../../lib/gossip/address.ts";
import { replaySnapshot } from "../../lib/serf/snapshot.ts";
import { startTarget } from "../_support/forge.ts";
import { serfCli } from "../_support/serf_cli.ts";

Deno.test("a reconnect address for a member named with ; spaces and / parses to its address", () => {
  const t = parseJoinTarget("t1; disable server/x y/127.0.0.1:7946", 7946);
  deepStrictEqual(t, {
    name: "t1; disable server/x y",
    address: { host: "127.0.0.1", port: 7946 },
  });
});

Deno.test("replaySnapshot() refuses a truncated last line instead of reading a wrong port", () => {
  const r = replaySnapshot("alive: t1 127.0.0.1:8080\nalive: t2 127.0.0.1:80");
  deepStrictEqual([...r.alive], [["t1", "127.0.0.1:8080"]]);
  equal(r.badLines, 1);
  const clock = replaySnapshot("clock: 41\nclock: 4");
  equal(clock.lastClock, 41, "a cut clock line is not taken either");
});

Deno.test("serf query with a 2^53 ns timeout is dispatched, and members -name accepts (?i)", async () => {
  const t = await startTarget("shoal-lower");
  try {
    // 2503 h is just above 2^53 ns; the CLI waits for the query's end, so it is cut after 3 s
    const q = await serfCli("query", t.rpcAddr, ["-timeout=2503h", "-no-ack", "probe", "x"], 3000)
      .catch((e) => ({ code: -1, stdout: String(e), stderr: "" }));
    ok(!/error/i.test(q.stdout + q.stderr), `serf query: ${q.stdout}${q.stderr}`);
    const m = await serfCli("members", t.rpcAddr, ["-name=(?i)SHOAL-LOWER"], 5000);
    equal(m.code, 0, m.stdout + m.stderr);
    ok(m.stdout.includes("shoal-lower"), m.stdout);
  } finally {
    await t.proc.stop();
  }
});
