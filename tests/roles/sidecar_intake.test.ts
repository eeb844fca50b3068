/** The sidecar's query intake: the source check and unknown senders, on a virtual clock. */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { MemoryLogger } from "../../lib/log/logger.ts";
import { AnnounceResponseSchema, decodePayload, DepartResponseSchema } from "../../lib/proto.ts";
import { encodeVerdict } from "../../lib/roles/sidecar/announce.ts";
import { QueryIntake } from "../../lib/roles/sidecar/intake.ts";
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

function query(name: string, from: string, host: string, port: number, nowMs = 0) {
  const answers: Uint8Array[] = [];
  const e: QueryEvent = {
    type: "query",
    lTime: 1,
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

Deno.test("QueryIntake: an unknown depart is refused, nothing is drained", () => {
  const t = setup([]);
  const d = query("depart", "ghost", "10.0.0.9", 7946);
  t.intake.depart(d.e);
  deepStrictEqual(t.departed, []);
  ok(decodePayload(DepartResponseSchema, d.answers[0]!).reason.includes("not a known"));
});
