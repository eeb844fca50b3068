import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  DepartBook,
  encodeDepartAnswer,
  type ObservedView,
  PENDING_DEPARTS_MAX,
  remainingSessions,
  respondByMs,
} from "../../lib/roles/sidecar/depart.ts";
import type { ObservedServer } from "../../lib/haproxy/plan.ts";
import { decodePayload, DepartResponseSchema } from "../../lib/proto.ts";

function server(name: string, scur?: number): ObservedServer {
  return {
    name,
    addr: "10.0.0.7",
    port: 80,
    admin: "drain",
    uweight: 100,
    checkConfigured: true,
    checkEnabled: true,
    ...(scur === undefined ? {} : { sessions: { scur, qcur: 1 } }),
  };
}

const viewOf = (servers: Record<string, ObservedServer[]>): ObservedView => (backend) =>
  servers[backend] ?? [];

Deno.test("respondByMs() answers a tenth of the allowed time early, 500 ms to 2 s", () => {
  equal(respondByMs(0, 10_000), 9000);
  equal(respondByMs(1000, 3000), 2500);
  equal(respondByMs(0, 400), 0); // less than the margin: answer at once
  equal(respondByMs(0, 120_000), 118_000);
  equal(respondByMs(500, 400), 500); // already past: answer at once
});

Deno.test("DepartBook.settle() answers drained once every server is gone from a later observation", () => {
  const book = new DepartBook();
  const d = book.open("t1", ["web/shoal-t1", "api/shoal-t1"], {
    receivedMs: 100,
    deadlineMs: 10_100,
  })!;
  equal(d.respondByMs, 9100);
  const both = viewOf({ web: [server("shoal-t1", 2)], api: [server("shoal-t1", 0)] });
  deepStrictEqual(book.settle(both, 150, 200), []);
  const apiOnly = viewOf({ api: [server("shoal-t1", 0)] });
  deepStrictEqual(book.settle(apiOnly, 150, 300), []);
  // An observation asked for before the depart arrived cannot prove the server gone.
  deepStrictEqual(book.settle(viewOf({}), 99, 350), []);
  const done = book.settle(viewOf({}), 150, 400);
  equal(done.length, 1);
  deepStrictEqual(done[0]!.answer, {
    accepted: true,
    reason: "",
    drained: true,
    remainingSessions: 0,
    drainMs: 300,
  });
  equal(book.size, 0);
});

Deno.test("DepartBook.due() answers not drained with the sessions still open", () => {
  const book = new DepartBook();
  book.open("t1", ["web/shoal-t1"], { receivedMs: 0, deadlineMs: 2000 });
  book.open("t2", ["web/shoal-t2"], { receivedMs: 0, deadlineMs: 5000 });
  const view = viewOf({ web: [server("shoal-t1", 3), server("shoal-t2", 1)] });
  deepStrictEqual(book.due(view, 1499), []);
  const due = book.due(view, 1500);
  deepStrictEqual(due.map((s) => [s.depart.node, s.answer.drained, s.answer.remainingSessions]), [
    ["t1", false, 4],
  ]);
  ok(due[0]!.answer.reason.length > 0);
  equal(book.size, 1);
  const closed = book.closeAll(view, 2000, "sidecar is stopping");
  deepStrictEqual(closed.map((s) => [s.depart.node, s.answer.reason]), [[
    "t2",
    "sidecar is stopping",
  ]]);
  equal(book.size, 0);
});

Deno.test("DepartBook.open() is bounded", () => {
  const book = new DepartBook();
  for (let i = 0; i < PENDING_DEPARTS_MAX; i++) {
    ok(book.open(`t${i}`, [`web/shoal-t${i}`], { receivedMs: 0, deadlineMs: 1000 }));
  }
  equal(book.open("one-more", ["web/shoal-x"], { receivedMs: 0, deadlineMs: 1000 }), undefined);
});

Deno.test("remainingSessions() counts current and queued sessions of servers still present", () => {
  const view = viewOf({ web: [server("shoal-a", 2), server("shoal-b")] });
  equal(remainingSessions(view, ["web/shoal-a", "web/shoal-b", "api/shoal-a"]), 3);
});

Deno.test("encodeDepartAnswer() round-trips through DepartResponse", () => {
  const bytes = encodeDepartAnswer({
    accepted: true,
    reason: "drain not finished in time",
    drained: false,
    remainingSessions: 7,
    drainMs: 1800,
  });
  const back = decodePayload(DepartResponseSchema, bytes);
  deepStrictEqual(
    [back.accepted, back.reason, back.drained, back.remainingSessions, back.drainMs],
    [true, "drain not finished in time", false, 7, 1800],
  );
});
