import assert from "node:assert/strict";
import {
  addServerCommand,
  Command,
  delServerCommand,
  readyAfterChecksCommand,
  setStateCommand,
  setWeightCommand,
  showStatCommand,
  shutdownSessionsCommand,
  ValidationError,
} from "../../lib/haproxy/mod.ts";

Deno.test("addServerCommand() formats validated arguments with check options", () => {
  const cmd = addServerCommand({
    backend: "be_app",
    name: "shoal-a",
    addr: "2001:DB8::0010",
    port: 8080,
    weight: 20,
    slowstartMs: 5000,
    check: { interMs: 500, rise: 2, fall: 1, downinterMs: 100 },
  });
  assert.deepEqual(cmd.lines, [
    "add server be_app/shoal-a [2001:db8::10]:8080 weight 20 slowstart 5000ms check inter 500ms rise 2 fall 1 downinter 100ms",
  ]);
  assert.throws(
    () =>
      addServerCommand({
        backend: "b",
        name: "s",
        addr: "10.0.0.1",
        port: 80,
        check: { downinterMs: 1 },
      }),
    ValidationError,
  );
  assert.deepEqual(
    addServerCommand({ backend: "b", name: "s", addr: "10.0.0.1", port: 80 }).lines,
    ["add server b/s 10.0.0.1:80 weight 1"],
  );
});

Deno.test("command builders refuse injection attempts with ValidationError", () => {
  const spec = { backend: "be_app", name: "shoal-a", addr: "10.0.0.1", port: 80 };
  const attempts: Array<() => unknown> = [
    () => addServerCommand({ ...spec, name: "x;set server be_app/victim state maint" }),
    () => addServerCommand({ ...spec, name: "x\nset server be_app/victim state maint" }),
    () => addServerCommand({ ...spec, backend: "be_app maint" }),
    () => addServerCommand({ ...spec, addr: "10.0.0.1 check; del server be_app/v" }),
    () => addServerCommand({ ...spec, addr: "10.0.0.1\n" }),
    () => addServerCommand({ ...spec, port: 0 }),
    () => addServerCommand({ ...spec, weight: 300 }),
    () => addServerCommand({ ...spec, slowstartMs: 0 }),
    () => addServerCommand({ ...spec, check: { interMs: 1.5 } }),
    () => addServerCommand({ ...spec, name: "x<<" }),
    () => addServerCommand({ ...spec, name: "ü" }),
    () => addServerCommand({ ...spec, name: "a".repeat(65) }),
    () => delServerCommand("be_app", "a b"),
    () => setWeightCommand("be_app", "s", -1),
    () => shutdownSessionsCommand("be;app", "s"),
    () => showStatCommand("be\napp"),
  ];
  for (const attempt of attempts) assert.throws(attempt, ValidationError);
  assert.throws(() => setStateCommand("b", "s", "up" as "ready"), TypeError);
});

Deno.test("Command can only be made by the builders and never carries separators", () => {
  assert.throws(() => new Command(Symbol("x"), ["show info"], "data"), TypeError);
  assert.throws(() => new Command(Symbol("x"), [], "data"), TypeError);
  const pair = readyAfterChecksCommand("be", "s");
  // Two lines, never one `;`-joined line: HAProxy 3.2 answers a joined line with one prompt.
  assert.deepEqual(pair.lines, ["set server be/s state ready", "set server be/s health down"]);
  for (const line of pair.lines) assert.doesNotMatch(line, /[;\n\r\t]/);
});
