/**
 * The task's rejoin rule on a virtual clock: a sidecar its memberlist suspects counts as not
 * alive (serf still reports it alive, as real serf does), and a suspicion looks again at once.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { seededPrng } from "../../lib/clock.ts";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { rejoinReason, TaskMembership } from "../../lib/roles/task/membership.ts";
import { type Member, MemberStatus } from "../../lib/serf/mod.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";

function member(name: string, role: string, host = "127.0.0.1"): Member {
  return {
    name,
    addr: Uint8Array.of(127, 0, 0, 1),
    host,
    port: 7946,
    tags: new Map([["role", role]]),
    status: MemberStatus.Alive,
    vsn: [1, 5, 5, 2, 5, 5],
  };
}

const TASK = member("task-1", "task");
const SIDECAR_A = member("sidecar-a", "sidecar", "10.0.1.1");
const SIDECAR_B = member("sidecar-b", "sidecar", "10.0.1.2");

Deno.test("rejoinReason: a suspect sidecar is not alive; serf's alive status alone is not enough", () => {
  const members = [TASK, SIDECAR_A, SIDECAR_B];
  equal(rejoinReason(members, "task-1", new Set()), null);
  equal(rejoinReason(members, "task-1", new Set(["sidecar-a"])), null, "one sidecar still alive");
  equal(rejoinReason(members, "task-1", new Set(["sidecar-a", "sidecar-b"])), "no alive peer");
  equal(rejoinReason([TASK, SIDECAR_A], "task-1", new Set(["sidecar-a"])), "no alive peer");
  const peer = member("task-2", "task");
  equal(
    rejoinReason([TASK, peer, SIDECAR_A], "task-1", new Set(["sidecar-a"])),
    "no alive sidecar",
  );
});

function setup() {
  const clock = new VirtualClock();
  const suspected = new Set<string>();
  const joins: { atMs: number; addrs: readonly string[] }[] = [];
  const membership = new TaskMembership({
    members: () => [TASK, SIDECAR_A, member("task-2", "task")],
    suspected: () => suspected,
    localName: "task-1",
    joinTargets: () => Promise.resolve(["10.0.1.1:7946", "10.0.1.2:7946"]),
    join: (addrs) => (joins.push({ atMs: clock.nowMs(), addrs }), Promise.resolve(1)),
    clock,
    prng: seededPrng(7),
    log: new MemoryLogger(),
  });
  return { clock, suspected, joins, membership };
}

Deno.test("TaskMembership: its only sidecar suspected, the task rejoins its targets at once", async () => {
  const t = setup();
  t.membership.startRejoining();
  await t.clock.advance(3_000);
  equal(t.joins.length, 0, "a sidecar is alive: nothing to do");
  t.suspected.add("sidecar-a"); // serf still reports sidecar-a alive
  t.membership.onSuspect("sidecar-a");
  await t.clock.advance(1);
  equal(t.joins.length, 1);
  ok(t.joins[0]!.atMs <= 3_001, `joined at ${t.joins[0]!.atMs} ms`);
  deepStrictEqual(t.joins[0]!.addrs, ["10.0.1.1:7946", "10.0.1.2:7946"]);
  t.membership.stop();
});

Deno.test("TaskMembership: while its sidecars are suspect the rejoin keeps trying, with backoff", async () => {
  const t = setup();
  t.suspected.add("sidecar-a");
  t.membership.startRejoining();
  for (let ms = 0; ms < 30_000; ms += 50) await t.clock.advance(50);
  const gaps = t.joins.slice(1).map((j, i) => j.atMs - t.joins[i]!.atMs);
  ok(t.joins[0]!.atMs <= 50, "the first look is at once");
  ok(t.joins.length >= 4, `${t.joins.length} attempts`);
  ok(gaps.every((g) => g > 0 && g <= 10_000), `gaps ${gaps.join(",")}`);
  ok(gaps.at(-1)! > gaps[0]!, `it backs off: ${gaps.join(",")}`);
  t.suspected.delete("sidecar-a"); // refuted, or a new sidecar joined
  const before = t.joins.length;
  for (let ms = 0; ms < 30_000; ms += 50) await t.clock.advance(50);
  equal(t.joins.length, before, "alive again: no more attempts");
  t.membership.stop();
});
