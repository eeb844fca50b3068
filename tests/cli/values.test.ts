import { deepStrictEqual, equal, throws } from "node:assert/strict";
import { formatHostPort, parseHostPort, parseTag, splitList } from "../../lib/cli/values.ts";

Deno.test("parseHostPort() reads IPv4, IPv6, names and default ports", () => {
  deepStrictEqual(parseHostPort("10.0.0.1:7946"), { host: "10.0.0.1", port: 7946 });
  deepStrictEqual(parseHostPort("10.0.0.1", { defaultPort: 7946 }), {
    host: "10.0.0.1",
    port: 7946,
  });
  deepStrictEqual(parseHostPort("[::1]:80"), { host: "::1", port: 80 });
  deepStrictEqual(parseHostPort("::1", { defaultPort: 7 }), { host: "::1", port: 7 });
  deepStrictEqual(parseHostPort("sidecar.internal:7000"), { host: "sidecar.internal", port: 7000 });
  deepStrictEqual(parseHostPort("0.0.0.0:0", { allowZeroPort: true }), {
    host: "0.0.0.0",
    port: 0,
  });
});

Deno.test("parseHostPort() refuses malformed addresses with the reason", () => {
  throws(() => parseHostPort("10.0.0.1"), /needs a :port/);
  throws(() => parseHostPort("10.0.0.1:0"), /outside 1-65535/);
  throws(() => parseHostPort("10.0.0.1:65536"), /outside/);
  throws(() => parseHostPort("10.0.0.1:http"), /invalid port/);
  throws(() => parseHostPort("[::1"), /unclosed/);
  throws(() => parseHostPort("a b:1"), /valid host/);
  throws(() => parseHostPort(":7946"), /valid host/);
  throws(() => parseHostPort("x;y:1"), /valid host/);
});

Deno.test("formatHostPort() brackets IPv6", () => {
  equal(formatHostPort({ host: "::1", port: 1 }), "[::1]:1");
  equal(formatHostPort({ host: "1.2.3.4", port: 1 }), "1.2.3.4:1");
});

Deno.test("splitList() and parseTag() handle repeated and comma forms", () => {
  deepStrictEqual(splitList(["a,b", " c ", ",", "d"]), ["a", "b", "c", "d"]);
  deepStrictEqual(parseTag("role=task"), ["role", "task"]);
  deepStrictEqual(parseTag("expr=a=b"), ["expr", "a=b"]);
  deepStrictEqual(parseTag("empty="), ["empty", ""]);
  throws(() => parseTag("=x"), /key=value/);
  throws(() => parseTag("noequals"), /key=value/);
  throws(() => parseTag("bad key=x"), /tag key/);
});
