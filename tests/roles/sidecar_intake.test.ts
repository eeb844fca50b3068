/** The sidecar's query intake: the source check and unknown senders, on a virtual clock. */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { AnnounceResponseSchema, decodePayload, DepartResponseSchema } from "../../lib/proto.ts";
import { encodeVerdict } from "../../lib/roles/sidecar/announce.ts";
import { DEPART_MEMORY_MS, QueryIntake } from "../../lib/roles/sidecar/intake.ts";
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

Deno.test("QueryIntake: an unknown announcer is joined at its query address and registered once alive", async () => {
  const members: Member[] = [];
  const t = setup(members);
  const a = query("announce", "t2", "10.0.0.8", 7946);
  t.intake.announce(a.e);
  deepStrictEqual(t.joined, ["10.0.0.8:7946"]);
  equal(a.answers.length, 0, "waits for the member");
  members.push(member("t2", "10.0.0.8", 7946));
  await t.clock.advance(100);
  deepStrictEqual(t.registered, ["t2"]);
  equal(a.answers.length, 1);
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
  t.intake.announce(a.e); // looks again at 50, 100, ...
  await t.clock.advance(40);
  t.intake.depart(query("depart", "t6", "10.0.0.12", 7946, 40, 41).e); // at 90, ...
  await t.clock.advance(20);
  members.push(member("t6", "10.0.0.12", 7946)); // known at 60: the depart is judged first
  await t.clock.advance(100);
  deepStrictEqual([t.departed, t.registered], [["t6"], []]);
  equal(decodePayload(AnnounceResponseSchema, a.answers[0]!).accepted, false);
});

Deno.test("QueryIntake: a depart supersedes an older announce still waiting for its sender", async () => {
  const members: Member[] = [member("t3", "10.0.0.9", 7946, MemberStatus.None)];
  const t = setup(members);
  const a = query("announce", "t3", "10.0.0.9", 7946, 0, 10);
  t.intake.announce(a.e);
  equal(a.answers.length, 0, "waits for the member to become alive");
  members[0] = member("t3", "10.0.0.9", 7946); // alive, and departing at once
  t.intake.depart(query("depart", "t3", "10.0.0.9", 7946, 0, 11).e);
  await t.clock.advance(100);
  deepStrictEqual([t.departed, t.registered], [["t3"], []]);
  const ar = decodePayload(AnnounceResponseSchema, a.answers[0]!);
  equal(ar.accepted, false);
  ok(ar.reason.includes("depart"), ar.reason);
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
