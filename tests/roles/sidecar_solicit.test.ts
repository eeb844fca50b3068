/** The sidecar's solicit rounds on a virtual clock: answers from members believed failed. */
import { deepStrictEqual, equal } from "node:assert/strict";
import { MemoryLogger } from "../../lib/log/logger.ts";
import {
  FAILED_ANSWER_WAIT_MS,
  SolicitRounds,
  type SolicitRoundsOptions,
} from "../../lib/roles/sidecar/solicit.ts";
import { type Member, MemberStatus } from "../../lib/serf/mod.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";

function member(name: string, status: MemberStatus, role = "task"): Member {
  return {
    name,
    addr: Uint8Array.of(10, 0, 0, 7),
    host: "10.0.0.7",
    port: 7946,
    tags: new Map([["role", role]]),
    status,
    vsn: [1, 5, 5, 2, 5, 5],
  };
}

/** One round in which `t1`, believed failed, answers; the join does not make it alive. */
async function setup(departedSince = false) {
  const clock = new VirtualClock();
  const members = [member("sc", MemberStatus.Alive, "sidecar"), member("t1", MemberStatus.Failed)];
  const registered: string[] = [];
  const joined: string[] = [];
  const serf = {
    localName: "sc",
    members: () => members,
    query: (_n: string, _p: Uint8Array, o: { onResponse?: (r: unknown) => void }) => ({
      done: () => {
        o.onResponse?.({ from: "t1", payload: new Uint8Array([1]) });
        return Promise.resolve({ endedEarly: false });
      },
    }),
  } as unknown as SolicitRoundsOptions["serf"];
  const rounds = new SolicitRounds({
    serf,
    clock,
    log: new MemoryLogger(),
    join: (addr) => (joined.push(addr), Promise.resolve(1)),
    departedSince: () => departedSince,
    register: (node) => registered.push(node),
    converged: () => {},
    stopped: () => false,
  });
  // a task alive but not failed keeps the round honest: the answer is t1's
  members.push(member("t2", MemberStatus.Alive));
  await rounds.run("test");
  await clock.advance(0);
  return { clock, members, rounds, registered, joined };
}

Deno.test("SolicitRounds: a failed member's answer is joined, then registered at its join event", async () => {
  const t = await setup();
  deepStrictEqual([t.joined, t.registered], [["10.0.0.7:7946"], []], "waits for its refutation");
  t.members[1] = member("t1", MemberStatus.Alive);
  t.rounds.memberJoined("t1");
  deepStrictEqual(t.registered, ["t1"]);
  await t.clock.advance(FAILED_ANSWER_WAIT_MS);
  deepStrictEqual(t.registered, ["t1"], "once");
});

Deno.test("SolicitRounds: a failed member that never comes back is judged as it is after the wait", async () => {
  const t = await setup();
  await t.clock.advance(FAILED_ANSWER_WAIT_MS - 1);
  equal(t.registered.length, 0);
  await t.clock.advance(1);
  deepStrictEqual(t.registered, ["t1"], "handed on (the registry refuses a failed member)");
  equal(t.clock.pendingTimers, 0);
});

Deno.test("SolicitRounds: no answer of a node that departed since the round began", async () => {
  const t = await setup(true);
  deepStrictEqual([t.joined, t.registered], [[], []]);
});
