import assert from "node:assert/strict";
import {
  AddressParseError,
  canonicalIp,
  formatIp,
  isIp,
  isIpv4,
  isIpv6,
  isUnspecified,
  isV4Mapped,
  parseIp,
  sameIp,
  tryParseIp,
  unmapIp,
} from "../../lib/net/mod.ts";

Deno.test("parseIp() reads IPv4 as 4 bytes and IPv6 (dotted tails too) as 16", () => {
  assert.deepEqual([...parseIp("10.1.2.3")], [10, 1, 2, 3]);
  assert.deepEqual([...parseIp("0.0.0.0")], [0, 0, 0, 0]);
  assert.deepEqual([...parseIp("fe80::1:2")].slice(0, 2), [0xfe, 0x80]);
  assert.deepEqual([...parseIp("::ffff:127.0.0.1")].slice(10), [0xff, 0xff, 127, 0, 0, 1]);
  assert.deepEqual([...parseIp("1:2:3:4:5:6:1.2.3.4")].slice(12), [1, 2, 3, 4]);
  assert.equal(parseIp("1:2:3:4:5:6:7:8").at(-1), 8);
  assert.equal(parseIp("::").length, 16);
});

Deno.test("parseIp() refuses zero padding, zones, brackets, names and malformed literals", () => {
  const bad = [
    "010.0.0.1",
    "10.0.0.01",
    "00.0.0.0",
    "256.1.1.1",
    "1.2.3",
    "1.2.3.4.5",
    " 1.2.3.4",
    "1::2::3",
    "1:2:3:4:5:6:7",
    "1:2:3:4::5:6:7:8",
    "1:2:3:4:5:6:7:8:9",
    "12345::",
    "1.2.3.4::",
    "::1.2.3.4:5",
    "fe80::1%eth0",
    "[::1]",
    "example.com",
    "",
    "a".repeat(100),
  ];
  for (const text of bad) {
    assert.throws(() => parseIp(text), AddressParseError, text);
    assert.equal(tryParseIp(text), undefined, text);
    assert.equal(isIp(text), false, text);
  }
});

Deno.test("isIpv4() and isIpv6() classify by family as written", () => {
  assert.deepEqual([isIpv4("10.0.0.1"), isIpv6("10.0.0.1")], [true, false]);
  assert.deepEqual([isIpv4("::ffff:10.0.0.1"), isIpv6("::ffff:10.0.0.1")], [false, true]);
  assert.deepEqual([isIpv4("010.0.0.1"), isIpv6("010.0.0.1")], [false, false]);
  assert.equal(isV4Mapped(parseIp("::ffff:10.0.0.1")), true);
  assert.equal(isV4Mapped(parseIp("::10.0.0.1")), false, "v4-compatible is not v4-mapped");
  assert.deepEqual([...unmapIp(parseIp("::ffff:10.0.0.1"))], [10, 0, 0, 1]);
  assert.equal(unmapIp(parseIp("::1")).length, 16);
  assert.deepEqual([isUnspecified(parseIp("0.0.0.0")), isUnspecified(parseIp("::"))], [true, true]);
  assert.equal(isUnspecified(parseIp("::1")), false);
});

Deno.test("formatIp() writes RFC 5952 text and v4-mapped addresses as IPv4", () => {
  const cases: [string, string][] = [
    ["10.0.0.7", "10.0.0.7"],
    ["::ffff:10.0.0.7", "10.0.0.7"],
    ["::FFFF:a00:7", "10.0.0.7"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["2001:DB8:0:0:0:0:0:10", "2001:db8::10"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["fe80:0:0:1:0:0:0:1", "fe80:0:0:1::1"],
    ["1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"],
    ["fd00:0:0:1::2", "fd00:0:0:1::2"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
  ];
  for (const [text, canonical] of cases) assert.equal(canonicalIp(text), canonical, text);
  assert.throws(() => formatIp(Uint8Array.of(1, 2, 3)), AddressParseError);
});

Deno.test("sameIp() compares text and wire bytes; v4-mapped equals its IPv4 form", () => {
  assert.equal(sameIp("::ffff:10.0.0.1", "10.0.0.1"), true);
  assert.equal(sameIp(parseIp("::ffff:10.0.0.1"), Uint8Array.of(10, 0, 0, 1)), true);
  assert.equal(sameIp("::1", "0:0:0:0:0:0:0:1"), true);
  assert.equal(sameIp("10.0.0.1", "10.0.0.2"), false);
  assert.equal(sameIp("::10.0.0.1", "10.0.0.1"), false, "v4-compatible is a different address");
  assert.equal(sameIp("localhost", "localhost"), false, "names are not IPs");
  assert.equal(sameIp(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3)), false);
});
