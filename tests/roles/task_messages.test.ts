import { deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  AnnounceRequestSchema,
  AnnounceResponseSchema,
  decodePayload,
  DepartRequestSchema,
  DepartResponseSchema,
  encodePayload,
} from "../../lib/proto.ts";
import {
  announcePayload,
  departPayload,
  departSilence,
  readAnnounceAnswer,
  readDepartAnswer,
} from "../../lib/roles/task/messages.ts";

Deno.test("announcePayload() carries port, backend, state, and weight only when set", () => {
  const withWeight = decodePayload(
    AnnounceRequestSchema,
    announcePayload({ port: 31000, backend: "web", weight: 7 }, "unhealthy"),
  );
  deepStrictEqual(
    [withWeight.port, withWeight.backend, withWeight.state, withWeight.weight],
    [31000, "web", "unhealthy", 7],
  );
  const plain = decodePayload(
    AnnounceRequestSchema,
    announcePayload({ port: 8080, backend: null, weight: null }, "ready"),
  );
  deepStrictEqual([plain.backend, plain.weight], ["", undefined], "the sidecar's defaults apply");
});

Deno.test("departPayload() carries the advertised address, port, backend and whole seconds", () => {
  const d = decodePayload(
    DepartRequestSchema,
    departPayload({ port: 8080, backend: "api", weight: null }, {
      addr: "10.0.2.106",
      timeoutSeconds: 20,
    }),
  );
  deepStrictEqual([d.addr, d.port, d.backend, d.timeoutSeconds], ["10.0.2.106", 8080, "api", 20]);
});

Deno.test("readAnnounceAnswer() reads accepted and refused answers", () => {
  deepStrictEqual(
    readAnnounceAnswer(encodePayload(AnnounceResponseSchema, {
      accepted: true,
      reason: "",
      server: "shoal-task-1",
      backend: "web",
    })),
    { accepted: true, reason: "", server: "shoal-task-1", backend: "web" },
  );
  deepStrictEqual(
    readAnnounceAnswer(encodePayload(AnnounceResponseSchema, {
      accepted: false,
      reason: 'backend "x" is not allowed',
    })),
    { accepted: false, reason: 'backend "x" is not allowed' },
  );
});

Deno.test("readAnnounceAnswer() and readDepartAnswer() count garbage as refused, not as a crash", () => {
  const garbage = Uint8Array.of(0xff, 0xff, 0xff);
  const a = readAnnounceAnswer(garbage);
  equal(a.accepted, false);
  ok(a.reason.startsWith("invalid response"), a.reason);
  const d = readDepartAnswer(garbage);
  equal(d.accepted, false);
  ok(d.reason.startsWith("invalid response"), d.reason);
});

Deno.test("readDepartAnswer() reads drained and remaining sessions", () => {
  deepStrictEqual(
    readDepartAnswer(encodePayload(DepartResponseSchema, {
      accepted: true,
      reason: "",
      drained: false,
      remainingSessions: 3,
      drainMs: 19_500,
    })),
    { accepted: true, reason: "", drained: false, remainingSessions: 3, drainMs: 19_500 },
  );
});

Deno.test("departSilence() says which sidecars stayed silent and why", () => {
  const all = new Set(["go-1", "shoal-a", "lost"]);
  equal(
    departSilence({ expected: all, answered: all, acked: all, timeoutMs: 2000 }),
    undefined,
    "everyone answered",
  );
  const none = departSilence({
    expected: new Set(["go-1"]),
    answered: new Set(),
    acked: new Set(["go-1"]),
    timeoutMs: 2500,
  })!;
  ok(none.startsWith("depart: no sidecar answered within 2.5s (sidecars known: go-1 acknowledged"));
  ok(none.includes("without a depart handler"), none);
  const some = departSilence({
    expected: all,
    answered: new Set(["shoal-a"]),
    acked: new Set(["go-1", "shoal-a"]),
    timeoutMs: 20_000,
  })!;
  ok(some.startsWith("depart: 2 of 3 sidecars did not answer within 20s"), some);
  ok(some.includes("lost did not acknowledge it"), some);
  ok(!some.includes("shoal-a"), "a sidecar that answered is not blamed");
});
