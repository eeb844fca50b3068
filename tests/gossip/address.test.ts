import assert from "node:assert/strict";
import {
  AddressParseError,
  formatAddress,
  hostFromIp,
  ipFromHost,
  isIpLiteral,
  parseJoinTarget,
} from "../../lib/gossip/address.ts";

Deno.test("hostFromIp() reads 4-byte, v4-mapped and IPv6 addresses", () => {
  assert.equal(hostFromIp(Uint8Array.of(127, 0, 0, 1)), "127.0.0.1");
  const mapped = new Uint8Array(16);
  mapped.set([0xff, 0xff, 10, 0, 0, 7], 10);
  assert.equal(hostFromIp(mapped), "10.0.0.7", "v4-mapped is normalised to IPv4");
  assert.equal(hostFromIp(ipFromHost("::1")), "::1");
  assert.equal(hostFromIp(ipFromHost("fd00:0:0:1::2")), "fd00:0:0:1::2");
  assert.equal(hostFromIp(ipFromHost("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2:3:4:5:6");
  assert.equal(hostFromIp(Uint8Array.of(1, 2, 3)), "");
});

Deno.test("ipFromHost() writes 4 bytes for IPv4 and 16 for IPv6, refusing junk", () => {
  assert.deepEqual([...ipFromHost("10.1.2.3")], [10, 1, 2, 3]);
  assert.equal(ipFromHost("::").length, 16);
  assert.throws(() => ipFromHost("256.1.1.1"), AddressParseError);
  assert.throws(() => ipFromHost("a::b::c"), AddressParseError);
  assert.throws(() => ipFromHost("example.com"), AddressParseError);
  assert.equal(isIpLiteral("example.com"), false);
  assert.equal(isIpLiteral("::ffff:10.0.0.1"), true, "dotted v6 tails are accepted");
  assert.equal(hostFromIp(ipFromHost("::ffff:10.0.0.1")), "10.0.0.1");
  assert.throws(() => ipFromHost("010.0.0.1"), AddressParseError, "zero padding is refused");
});

Deno.test("parseJoinTarget() reads host, host:port, [v6]:port and name/ prefixes", () => {
  assert.deepEqual(parseJoinTarget("10.0.0.1", 7946), {
    name: null,
    address: { host: "10.0.0.1", port: 7946 },
  });
  assert.deepEqual(parseJoinTarget("b/10.0.0.1:7947", 7946), {
    name: "b",
    address: { host: "10.0.0.1", port: 7947 },
  });
  assert.deepEqual(parseJoinTarget("[::1]:8000", 7946).address, { host: "::1", port: 8000 });
  assert.deepEqual(parseJoinTarget("::1", 7946).address, { host: "::1", port: 7946 });
  assert.deepEqual(parseJoinTarget("seed.internal:7946", 1).address, {
    host: "seed.internal",
    port: 7946,
  });
  assert.throws(() => parseJoinTarget("10.0.0.1:0", 7946), AddressParseError);
  assert.throws(() => parseJoinTarget("bad host", 7946), AddressParseError);
  assert.equal(formatAddress({ host: "::1", port: 1 }), "[::1]:1");
});
