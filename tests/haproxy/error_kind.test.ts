import assert from "node:assert/strict";
import * as e from "../../lib/haproxy/errors.ts";

const reply = (text: string) => e.HaproxyCommandError.parse("del server be/x", text);

Deno.test("errorKind() gives every error class its own kind, and `other` to the rest", () => {
  const cases: [e.HaproxyError, e.HaproxyErrorKind][] = [
    [new e.ValidationError("port", 0, "out of range"), "validation"],
    [new e.HaproxyConnectionError("refused"), "connection"],
    [new e.HaproxyTimeoutError("slow"), "timeout"],
    [new e.HaproxyProtocolError("garbled"), "protocol"],
    [reply("No such backend."), "no_such_backend"],
    [reply("No such server."), "no_such_server"],
    [reply("Already exists a server with the same name in backend."), "already_exists"],
    [reply("Only servers in maintenance mode can be deleted."), "not_in_maintenance"],
    [
      reply("Server still has connections attached to it, cannot remove it."),
      "still_has_connections",
    ],
    [
      reply("Backend must use a dynamic load balancing to support dynamic servers."),
      "not_dynamic_backend",
    ],
    [reply("Unknown command: 'frob'"), "unknown_command"],
    [reply("Permission denied"), "permission_denied"],
    [reply("'id' : custom id 3 already used at line 1."), "other"],
    [reply("something new"), "other"],
    [new e.UnsupportedVersionError("1.8"), "other"],
    [new e.HaproxyError("plain"), "other"],
  ];
  for (const [error, kind] of cases) assert.equal(e.errorKind(error), kind, error.message);
  assert.ok(cases[12]![0] instanceof e.IdInUseError);
});
