/**
 * Issue 14: every layer that reads an address agrees with `lib/net/` on what is an IP literal,
 * and on which two literals are the same address.
 */
import assert from "node:assert/strict";
import { parseHostPort } from "../../lib/cli/values.ts";
import { hostFromIp, ipFromHost, isIpLiteral, parseJoinTarget } from "../../lib/gossip/address.ts";
import { parseIp as haproxyParseIp, sameIp as haproxySameIp } from "../../lib/haproxy/validate.ts";
import { canonicalIp, isIp, sameIp } from "../../lib/net/mod.ts";
import { Registry } from "../../lib/roles/sidecar/registry.ts";
import { ipToString, sameIp as serfSameIp } from "../../lib/serf/addr.ts";
import { parseListenAddress } from "../../lib/supervisor/address.ts";

const LITERALS = [
  "10.0.0.1",
  "010.0.0.1",
  "10.0.0.01",
  "127.000.0.1",
  "256.0.0.1",
  "::1",
  "::ffff:127.0.0.1",
  "::FFFF:7f00:1",
  "2001:DB8::1",
  "1::2::3",
  "fe80::1%lo",
];

function accepts(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch {
    // any refusal counts: the layers throw their own error types
    return false;
  }
}

const registry = () =>
  new Registry({
    prefix: "s-",
    defaultBackend: "web",
    backends: ["web"],
    defaultWeight: 100,
    slowstartMs: 0,
    check: { interMs: 1000 },
    orphanGraceMs: 0,
  });

Deno.test("every layer accepts and refuses the same IP literals (zero padding refused by all)", () => {
  for (const text of LITERALS) {
    const want = isIp(text);
    const bracketed = text.includes(":") ? `[${text}]` : text;
    const layers: Record<string, boolean> = {
      gossip: isIpLiteral(text),
      gossipJoin: accepts(() => parseJoinTarget(`${bracketed}:1`, 1)),
      cli: accepts(() => parseHostPort(`${bracketed}:1`)),
      supervisor: accepts(() => parseListenAddress(`${bracketed}:1`)),
      haproxy: accepts(() => haproxyParseIp(text)),
      registry: registry().announce({ name: "t", host: text, status: "alive" }, {
        port: 80,
        backend: "",
        state: "ready",
      }, 0).accepted,
    };
    for (const [layer, got] of Object.entries(layers)) assert.equal(got, want, `${layer}: ${text}`);
  }
});

Deno.test("every layer writes an accepted literal in the same canonical form", () => {
  for (const text of LITERALS.filter(isIp)) {
    const canonical = canonicalIp(text);
    const bracketed = text.includes(":") ? `[${text}]` : text;
    assert.equal(hostFromIp(ipFromHost(text)), canonical, `gossip: ${text}`);
    assert.equal(ipToString(ipFromHost(text)), canonical, `serf: ${text}`);
    assert.equal(parseHostPort(`${bracketed}:1`).host, canonical, `cli: ${text}`);
    assert.equal(parseJoinTarget(`${bracketed}:1`, 1).address.host, canonical, `join: ${text}`);
    assert.equal(parseListenAddress(`${bracketed}:1`).host, canonical, `supervisor: ${text}`);
    assert.equal(haproxyParseIp(text).text, canonical, `haproxy: ${text}`);
  }
});

Deno.test("sameIp() means the same in serf, HAProxy and lib/net for v4-mapped addresses", () => {
  const pairs: [string, string, boolean][] = [
    ["::ffff:10.0.0.1", "10.0.0.1", true],
    ["::1", "0:0:0:0:0:0:0:1", true],
    ["::10.0.0.1", "10.0.0.1", false],
    ["10.0.0.1", "10.0.0.2", false],
  ];
  for (const [a, b, want] of pairs) {
    assert.equal(sameIp(a, b), want, `net: ${a} ${b}`);
    assert.equal(serfSameIp(ipFromHost(a), ipFromHost(b)), want, `serf: ${a} ${b}`);
    assert.equal(haproxySameIp(a, b), want, `haproxy: ${a} ${b}`);
  }
});

Deno.test("a zero-padded dotted quad is not taken for a DNS name to resolve", () => {
  for (const text of ["010.0.0.1:7946", "1.2.3:7946", "127.000.0.1"]) {
    assert.throws(() => parseHostPort(text, { defaultPort: 7946 }), /not a valid IPv4/, text);
    assert.throws(() => parseJoinTarget(text, 7946), /not a valid IPv4/, text);
  }
});
