import { deepStrictEqual as assertEq, throws } from "node:assert/strict";
import { SpecError } from "../../lib/supervisor/errors.ts";
import {
  parseDurationMs,
  parseHealthSpec,
  parseReadinessSpec,
} from "../../lib/supervisor/probe_spec.ts";

Deno.test("parseReadinessSpec() reads every kind", () => {
  assertEq(parseReadinessSpec("tcp"), { kind: "tcp" });
  assertEq(parseReadinessSpec("notify"), { kind: "notify" });
  assertEq(parseReadinessSpec("http:/healthz?x=1"), { kind: "http", path: "/healthz?x=1" });
  assertEq(parseReadinessSpec("exec:test -e /tmp/x"), { kind: "exec", command: "test -e /tmp/x" });
  assertEq(parseReadinessSpec("delay:1.5s"), { kind: "delay", delayMs: 1500 });
});

Deno.test("parseReadinessSpec() refuses unknown kinds and unsafe HTTP paths", () => {
  for (const bad of ["", "sleep:1", "http:healthz", "http:/a b", "http:/a\r\nX: y", "exec: "]) {
    throws(() => parseReadinessSpec(bad), SpecError, JSON.stringify(bad));
  }
});

Deno.test("parseHealthSpec() accepts only http: and exec:", () => {
  assertEq(parseHealthSpec("http:/"), { kind: "http", path: "/" });
  throws(() => parseHealthSpec("tcp"), SpecError);
  throws(() => parseHealthSpec("delay:1s"), SpecError);
});

Deno.test("parseDurationMs() converts units and refuses bare numbers", () => {
  assertEq([parseDurationMs("250ms"), parseDurationMs("2s"), parseDurationMs("1m")], [
    250,
    2000,
    60_000,
  ]);
  throws(() => parseDurationMs("20"), SpecError);
  throws(() => parseDurationMs("-1s"), SpecError);
});
