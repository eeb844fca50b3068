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

function member(name: string, status: MemberStatus, role = "task", host = "10.0.0.7"): Member {
  return {
    name,
    addr: Uint8Array.from(host.split(".").map(Number)),
    host,
    port: 7946,
    tags: new Map([["role", role]]),
    status,
    vsn: [1, 5, 5, 2, 5, 5],
  };
}

/** What {@linkcode setup} varies. */
interface SetupOptions {
  departedSince?: boolean;
  /** The address t1's answer came from. */
  via?: { host: string; port: number };
  /** Called at the join, before it resolves (it may change the members). */
  onJoin?: (members: Member[]) => void;
  verifier?: SolicitRoundsOptions["verifier"];
}

/** One round in which `t1`, believed failed, answers; the join does not make it alive. */
async function setup(opts: SetupOptions = {}) {
  const clock = new VirtualClock();
  const members = [member("sc", MemberStatus.Alive, "sidecar"), member("t1", MemberStatus.Failed)];
  const registered: string[] = [];
  const joined: string[] = [];
  const serf = {
    localName: "sc",
    members: () => members,
    query: (_n: string, _p: Uint8Array, o: { onResponse?: (r: unknown) => void }) => ({
      done: () => {
        o.onResponse?.({ from: "t1", payload: new Uint8Array([1]), via: opts.via });
        return Promise.resolve({ endedEarly: false });
      },
    }),
  } as unknown as SolicitRoundsOptions["serf"];
  const rounds = new SolicitRounds({
    serf,
    clock,
    log: new MemoryLogger(),
    join: (addr) => (joined.push(addr), opts.onJoin?.(members), Promise.resolve(1)),
    departedSince: () => opts.departedSince ?? false,
    verifier: opts.verifier,
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
  const t = await setup({ departedSince: true });
  deepStrictEqual([t.joined, t.registered], [[], []]);
});

Deno.test("SolicitRounds: a failed member's answer joins the address it came from, then is verified there", async () => {
  // sim seed 86 --mistakes: the dead entry was an impostor's (10.0.0.7); the real t1 answers
  // from 10.0.3.9. The join there moves the entry (its dead name is reclaimed); the ping goes to
  // the new address, never to the dead one.
  const pinged: string[] = [];
  const verified = new Set<string>(); // as MemberVerifier: a ping acked verifies that address
  const verifier = {
    isVerified: (c: { host: string }) => verified.has(c.host),
    verify: (
      c: { host: string },
    ) => (pinged.push(c.host), verified.add(c.host), Promise.resolve(true)),
  } as unknown as SolicitRoundsOptions["verifier"];
  const t = await setup({
    via: { host: "10.0.3.9", port: 7946 },
    onJoin: (ms) => void (ms[1] = member("t1", MemberStatus.Alive, "task", "10.0.3.9")),
    verifier,
  });
  await t.clock.advance(0);
  deepStrictEqual([t.joined, pinged, t.registered], [["10.0.3.9:7946"], ["10.0.3.9"], ["t1"]]);
  equal(t.clock.pendingTimers, 0);
});
