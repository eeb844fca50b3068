/** The sidecar's query intake: the source check and unknown senders, on a virtual clock. */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { AnnounceResponseSchema, decodePayload, DepartResponseSchema } from "../../lib/proto.ts";
import { encodeVerdict } from "../../lib/roles/sidecar/announce.ts";
import { DEPART_MEMORY_MS } from "../../lib/roles/sidecar/depart_memory.ts";
import { QueryIntake, WAITING_MAX } from "../../lib/roles/sidecar/intake.ts";
import { MemberVerifier } from "../../lib/roles/sidecar/verify.ts";
import { type Member, MemberStatus, type QueryEvent } from "../../lib/serf/mod.ts";
import { VirtualClock } from "../_support/virtual_clock.ts";

function member(name: string, host: string, port: number, status = MemberStatus.Alive): Member {
  return {
    name,
    addr: Uint8Array.of(...host.split(".").map(Number)),
    host,
    port,
    tags: new Map([["role", "task"]]),
    status,
    vsn: [1, 5, 5, 2, 5, 5],
  };
}

function query(name: string, from: string, host: string, port: number, nowMs = 0, lTime = 1) {
  const answers: Uint8Array[] = [];
  const e: QueryEvent = {
    type: "query",
    lTime,
    id: 1,
    name,
    payload: new Uint8Array(0),
    sourceNode: from,
    sourceAddr: { host, port },
    deadlineMs: nowMs + 5_000,
    respond: (p) => answers.push(p),
  };
  return { e, answers };
}

function setup(members: Member[]) {
  const clock = new VirtualClock();
  const log = new MemoryLogger();
  const registered: string[] = [];
  const departed: string[] = [];
  const joined: string[] = [];
  const intake = new QueryIntake({
    serf: { members: () => members },
    clock,
    log,
    join: (addr) => (joined.push(addr), Promise.resolve(1)),
    register: (node) => {
      if (!members.some((m) => m.name === node)) { // as the registry does
        const verdict = { accepted: false as const, reason: "not a known cluster member" };
        return { verdict, request: undefined, host: undefined, response: encodeVerdict(verdict) };
      }
      registered.push(node);
      const verdict = { accepted: true as const, server: `shoal-${node}`, backend: "web" };
      return { verdict, request: undefined, host: undefined, response: encodeVerdict(verdict) };
    },
    depart: (e) => departed.push(e.sourceNode),
  });
  return { clock, log, intake, registered, departed, joined };
}

Deno.test("QueryIntake: a query from the holder's gossip address is passed on", () => {
  const t = setup([member("t1", "10.0.0.7", 7946)]);
  t.intake.announce(query("announce", "t1", "10.0.0.7", 7946).e);
  t.intake.depart(query("depart", "t1", "10.0.0.7", 7946).e);
  deepStrictEqual([t.registered, t.departed], [["t1"], ["t1"]]);
});

Deno.test("QueryIntake: a forged announce or depart naming a live member is refused", () => {
  const t = setup([member("t1", "10.0.0.7", 7946)]);
  const a = query("announce", "t1", "10.0.0.66", 7946);
  const d = query("depart", "t1", "10.0.0.7", 9999);
  t.intake.announce(a.e);
  t.intake.depart(d.e);
  deepStrictEqual([t.registered, t.departed, t.joined], [[], [], []]);
  const ar = decodePayload(AnnounceResponseSchema, a.answers[0]!);
  equal(ar.accepted, false);
  ok(ar.reason.includes("held by a member at 10.0.0.7:7946, not 10.0.0.66:7946"), ar.reason);
  equal(decodePayload(DepartResponseSchema, d.answers[0]!).accepted, false);
  equal(t.log.named("sidecar.query.source_refused").length, 2);
});

Deno.test("QueryIntake: an unknown announcer is joined at its query address and registered at its join", async () => {
  const members: Member[] = [];
  const t = setup(members);
  const a = query("announce", "t2", "10.0.0.8", 7946);
  t.intake.announce(a.e);
  deepStrictEqual(t.joined, ["10.0.0.8:7946"]);
  equal(a.answers.length, 0, "waits for the member");
  equal(t.clock.pendingTimers, 1, "one timer: the wait's bound (no polling)");
  members.push(member("t2", "10.0.0.8", 7946));
  await t.clock.advance(1_900);
  equal(a.answers.length, 0, "a member known without its join event is not looked for");
  t.intake.memberJoined("t2"); // the service calls this at serf's member-join, synchronously
  deepStrictEqual([t.registered, a.answers.length, t.intake.waiting], [["t2"], 1, 0]);
  equal(t.clock.pendingTimers, 0, "the bound's timer is cancelled");
});

Deno.test("QueryIntake: a waiting announce is judged again at its member's update, not at others' joins", () => {
  const members: Member[] = [member("t9", "10.0.0.15", 7000)];
  const t = setup(members);
  const a = query("announce", "t9", "10.0.0.15", 7946);
  t.intake.announce(a.e);
  equal(a.answers.length, 1, "a live member at another address: refused at once");
  members[0] = member("t9", "10.0.0.15", 7000, MemberStatus.Failed);
  const b = query("announce", "t9", "10.0.0.15", 7946);
  t.intake.announce(b.e);
  t.intake.memberJoined("other");
  equal(b.answers.length, 0, "still waiting for t9 to be alive");
  members[0] = member("t9", "10.0.0.15", 7946);
  t.intake.memberUpdated("t9");
  deepStrictEqual([t.registered, b.answers.length], [["t9"], 1]);
});

Deno.test("QueryIntake: at most WAITING_MAX queries wait; past it an unknown sender is refused at once", async () => {
  const t = setup([]);
  const answers: Uint8Array[][] = [];
  for (let i = 0; i < WAITING_MAX + 10; i++) {
    const q = query("announce", `ghost-${i}`, "10.0.0.20", 7946);
    t.intake.announce(q.e);
    answers.push(q.answers);
  }
  equal(t.intake.waiting, WAITING_MAX);
  equal(t.clock.pendingTimers, WAITING_MAX);
  deepStrictEqual(answers.map((a) => a.length).filter((n) => n === 1).length, 10);
  equal(t.log.named("sidecar.query.waiting_full").length, 1, "logged once, not per query");
  await t.clock.advance(2_500);
  deepStrictEqual([t.intake.waiting, t.clock.pendingTimers, t.registered], [0, 0, []]);
  ok(answers.every((a) => a.length === 1), "every query answered (refused) at its bound");
});

Deno.test("QueryIntake: a depart from a sender that stays unknown is refused, nothing is drained", async () => {
  const t = setup([]);
  const d = query("depart", "ghost", "10.0.0.9", 7946);
  t.intake.depart(d.e);
  deepStrictEqual([d.answers.length, t.joined], [0, ["10.0.0.9:7946"]], "waits, learning it");
  await t.clock.advance(2_500);
  deepStrictEqual(t.departed, []);
  ok(decodePayload(DepartResponseSchema, d.answers[0]!).reason.includes("not a known"));
});

Deno.test("QueryIntake: a depart from an unknown sender waits for it, then supersedes its waiting announce", async () => {
  const members: Member[] = [];
  const t = setup(members);
  const a = query("announce", "t6", "10.0.0.12", 7946, 0, 40);
  t.intake.announce(a.e);
  await t.clock.advance(40);
  t.intake.depart(query("depart", "t6", "10.0.0.12", 7946, 40, 41).e);
  await t.clock.advance(20);
  members.push(member("t6", "10.0.0.12", 7946));
  t.intake.memberJoined("t6"); // wakes the depart first, although it arrived second
  deepStrictEqual([t.departed, t.registered], [["t6"], []]);
  equal(decodePayload(AnnounceResponseSchema, a.answers[0]!).accepted, false);
});

Deno.test("QueryIntake: a depart supersedes an older announce still waiting for its sender", async () => {
  const members: Member[] = [member("t3", "10.0.0.9", 7946, MemberStatus.None)];
  const t = setup(members);
  const a = query("announce", "t3", "10.0.0.9", 7946, 0, 10);
  t.intake.announce(a.e);
  equal(a.answers.length, 0, "waits for the member to become alive");
  t.intake.depart(query("depart", "t3", "10.0.0.9", 7946, 0, 11).e); // known: judged at once
  members[0] = member("t3", "10.0.0.9", 7946);
  t.intake.memberUpdated("t3");
  deepStrictEqual([t.departed, t.registered], [["t3"], []]);
  const ar = decodePayload(AnnounceResponseSchema, a.answers[0]!);
  equal(ar.accepted, false);
  ok(ar.reason.includes("depart"), ar.reason);
  await t.clock.advance(2_500);
  equal(a.answers.length, 1, "answered once");
});

Deno.test("QueryIntake: an older announce arriving after the depart is refused; a newer one is not", () => {
  const t = setup([member("t4", "10.0.0.10", 7946)]);
  t.intake.depart(query("depart", "t4", "10.0.0.10", 7946, 0, 20).e);
  const old = query("announce", "t4", "10.0.0.10", 7946, 0, 19);
  t.intake.announce(old.e);
  equal(decodePayload(AnnounceResponseSchema, old.answers[0]!).accepted, false);
  t.intake.announce(query("announce", "t4", "10.0.0.10", 7946, 0, 21).e);
  deepStrictEqual(t.registered, ["t4"], "a later incarnation's announce is registered");
});

Deno.test("QueryIntake: departs are remembered for a bounded time", async () => {
  const t = setup([member("t5", "10.0.0.11", 7946)]);
  t.intake.depart(query("depart", "t5", "10.0.0.11", 7946, 0, 30).e);
  await t.clock.advance(DEPART_MEMORY_MS + 1);
  t.intake.announce(query("announce", "t5", "10.0.0.11", 7946, t.clock.nowMs(), 5).e);
  deepStrictEqual(t.registered, ["t5"]);
});

Deno.test("QueryIntake: a remembered depart is forgotten when its node joins again", () => {
  const t = setup([member("t7", "10.0.0.13", 7946)]);
  t.intake.depart(query("depart", "t7", "10.0.0.13", 7946, 0, 50).e);
  t.intake.memberJoined("t7"); // restarted under the same name; its query clock starts low
  t.intake.announce(query("announce", "t7", "10.0.0.13", 7946, 0, 3).e);
  deepStrictEqual(t.registered, ["t7"]);
});

Deno.test("QueryIntake: a first announce waits for its verification ping; a depart during it supersedes it", async () => {
  const clock = new VirtualClock();
  const members = [member("t7", "10.0.0.13", 7946)];
  const registered: string[] = [];
  const departed: string[] = [];
  const pings: string[] = [];
  const verifier = new MemberVerifier({
    ping: (name) => (pings.push(name), new Promise((r) => clock.setTimer(20, () => r(true)))),
    clock,
    log: new MemoryLogger(),
  });
  const intake = new QueryIntake({
    serf: { members: () => members },
    clock,
    log: new MemoryLogger(),
    verifier,
    register: (node) => {
      registered.push(node);
      const verdict = { accepted: true as const, server: `shoal-${node}`, backend: "web" };
      return { verdict, request: undefined, host: undefined, response: encodeVerdict(verdict) };
    },
    depart: (e) => departed.push(e.sourceNode),
  });
  const a = query("announce", "t7", "10.0.0.13", 7946, 0, 30);
  intake.announce(a.e);
  equal(a.answers.length, 0, "no answer before the ping is acked");
  intake.depart(query("depart", "t7", "10.0.0.13", 7946, 0, 31).e);
  await clock.advance(50);
  deepStrictEqual([pings, departed, registered], [["t7"], ["t7"], []]);
  ok(decodePayload(AnnounceResponseSchema, a.answers[0]!).reason.includes("depart"));
  // a newer announce of the verified member is registered without another ping
  intake.announce(query("announce", "t7", "10.0.0.13", 7946, 50, 32).e);
  deepStrictEqual([pings.length, registered], [1, ["t7"]]);
});

Deno.test("QueryIntake: departedSince() tells a solicit round whether a depart arrived during it", async () => {
  const t = setup([member("t8", "10.0.0.14", 7946)]);
  await t.clock.advance(100);
  equal(t.intake.departedSince("t8", 0), false);
  t.intake.depart(query("depart", "t8", "10.0.0.14", 7946, 100, 60).e);
  deepStrictEqual([t.intake.departedSince("t8", 50), t.intake.departedSince("t8", 150)], [
    true,
    false,
  ]);
  t.intake.memberJoined("t8"); // a new incarnation: its answers count again
  equal(t.intake.departedSince("t8", 50), false);
});
