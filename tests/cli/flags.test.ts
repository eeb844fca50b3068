import assert from "node:assert/strict";
import { type FlagKind, parseFlag } from "../../lib/cli/flags.ts";
import { UsageError } from "../../lib/cli/usage_error.ts";

Deno.test("parseFlag() turns a refused value into a usage error naming the flag", () => {
  const cases: [FlagKind, string, RegExp][] = [
    ["int", "x", /invalid --n: "x" is not an integer/],
    ["hostport", "010.0.0.1:1", /invalid --n: .*not a valid IPv4/],
    ["duration", "soon", /invalid --n: /],
    ["tags", "novalue", /invalid --n: "novalue" is not key=value/],
  ];
  for (const [kind, raw, message] of cases) {
    const value = kind === "tags" ? [raw] : raw;
    assert.throws(() => parseFlag({ name: "n", kind, help: "" }, value, "cli", "agent"), (err) => {
      assert.ok(err instanceof UsageError, `${kind}: ${err}`);
      assert.match(err.message, message);
      assert.equal(err.command, "agent");
      return true;
    });
  }
});

Deno.test("parseFlag() lets a programmer error through instead of calling it a usage error", () => {
  const bogus = "bogus" as FlagKind; // a kind the spec table should never hold
  assert.throws(
    () => parseFlag({ name: "n", kind: bogus, help: "" }, "1", "cli", "agent"),
    (err) => {
      assert.ok(!(err instanceof UsageError), String(err));
      assert.match((err as Error).message, /unhandled flag kind bogus/);
      return true;
    },
  );
});
