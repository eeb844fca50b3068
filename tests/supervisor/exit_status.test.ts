import { deepStrictEqual as assertEq } from "node:assert/strict";
import { decodeWaitStatus } from "../../lib/supervisor/exit_status.ts";

Deno.test("decodeWaitStatus() gives the exit code of a normal exit", () => {
  assertEq(decodeWaitStatus(7 << 8), { code: 7, signal: null, description: "exited with code 7" });
  assertEq(decodeWaitStatus(0)?.code, 0);
});

Deno.test("decodeWaitStatus() gives 128+N for a process killed by signal N", () => {
  assertEq(decodeWaitStatus(9)?.code, 137);
  assertEq(decodeWaitStatus(15)?.signal, 15);
  assertEq(decodeWaitStatus(6 | 0x80)?.code, 134); // core dumped flag
});

Deno.test("decodeWaitStatus() ignores stopped and continued children", () => {
  assertEq(decodeWaitStatus((19 << 8) | 0x7f), undefined);
  assertEq(decodeWaitStatus(0xffff), undefined);
});
